import type { MarketTick } from '../contracts/events.ts';
import type { TickPublisher } from './publisher.ts';

export interface Pacing {
  readonly pace: 'fast' | 'realtime';
  readonly speed: number;
  readonly maxGapMs: number;
}

/**
 * Publishes recorded ticks: as fast as the pipeline takes them (in batches), or paced to their own
 * timestamps divided by `speed`, never sleeping longer than `maxGapMs` across a gap.
 */
export async function replay(ticks: readonly MarketTick[], publisher: TickPublisher, pacing: Pacing, stopped: () => boolean = () => false): Promise<void> {
  if (pacing.pace === 'fast') {
    for (let i = 0; i < ticks.length && !stopped(); i += 1000) await publisher.publish(ticks.slice(i, i + 1000));
    return;
  }
  for (let i = 0; i < ticks.length && !stopped(); i++) {
    if (i > 0) {
      const gap = Date.parse(ticks[i]!.exchange_timestamp) - Date.parse(ticks[i - 1]!.exchange_timestamp);
      const wait = Math.min(gap / pacing.speed, pacing.maxGapMs);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await publisher.publish([ticks[i]!]);
  }
}

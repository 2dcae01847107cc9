import type { MarketTick } from '../contracts/events.ts';
import { untilDoneOrAborted } from '../abortable.ts';
import type { TickSink } from './publisher.ts';

export interface Pacing {
  readonly pace: 'fast' | 'realtime';
  readonly speed: number;
  readonly maxGapMs: number;
}

/**
 * Publishes recorded ticks: as fast as the pipeline takes them (in batches), or paced to their own
 * timestamps divided by `speed`, never sleeping longer than `maxGapMs` across a gap.
 */
export async function replay(ticks: readonly MarketTick[], publisher: TickSink, pacing: Pacing, signal?: AbortSignal): Promise<void> {
  if (pacing.pace === 'fast') {
    for (let i = 0; i < ticks.length && !signal?.aborted; i += 1000) await publisher.publish(ticks.slice(i, i + 1000), signal);
    return;
  }
  for (let i = 0; i < ticks.length && !signal?.aborted; i++) {
    if (i > 0) {
      const gap = Date.parse(ticks[i]!.exchange_timestamp) - Date.parse(ticks[i - 1]!.exchange_timestamp);
      const wait = Math.min(gap / pacing.speed, pacing.maxGapMs);
      if (wait > 0) await sleep(wait, signal);
    }
    await publisher.publish([ticks[i]!], signal);
  }
}

/** Waits `ms` unless `signal` ends the wait first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return untilDoneOrAborted(signal, (done) => {
    const t = setTimeout(done, ms);
    return () => clearTimeout(t);
  });
}

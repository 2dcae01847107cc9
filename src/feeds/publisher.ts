import type { MarketTick } from '../contracts/events.ts';
import { createEvent } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { MARKET_TICKS } from '../contracts/topics.ts';
import type { Clock } from '../clock.ts';
import type { Outbox } from '../runtime/outbox.ts';
import { untilDoneOrAborted } from '../abortable.ts';

/** Where a feed puts its ticks: market.ticks through the producer, or (in process) straight to the actors. */
export interface TickSink {
  /** Hands the ticks over, then waits while the receiver is over its bound (until `signal` ends the wait). */
  publish(ticks: readonly MarketTick[], signal?: AbortSignal): Promise<void>;
  /** Ticks taken so far. */
  readonly published: number;
}

/**
 * Publishes ticks to market.ticks exactly as a live feed does (one `market_tick` event per tick, keyed
 * by instrument token), waiting whenever the producer holds `bound` unconfirmed records, so a fast
 * replay cannot outrun the broker.
 */
export class TickPublisher implements TickSink {
  published = 0;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly source: string;
  private readonly bound: number;

  constructor(outbox: Outbox, clock: Clock, source: string, bound = 20_000) {
    this.outbox = outbox;
    this.clock = clock;
    this.source = source;
    this.bound = bound;
  }

  /** Publishes, then waits while the producer is over its bound (until `signal` ends the wait). */
  async publish(ticks: readonly MarketTick[], signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    for (const data of ticks) {
      const event = createEvent({ type: 'market_tick', broker: 'market', source: this.source, key: String(data.instrument_token), data, now });
      this.outbox.publish(new EventRecord(MARKET_TICKS, event, {}), undefined);
      this.published++;
    }
    if (this.outbox.backlog < this.bound || signal?.aborted) return;
    await untilDoneOrAborted(signal, (done) => this.outbox.whenBelow(this.bound >> 1, done));
  }
}

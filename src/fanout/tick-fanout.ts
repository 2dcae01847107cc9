import type { Clock } from '../clock.ts';
import type { MarketTick } from '../contracts/events.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { Delivery, type Ack } from '../runtime/delivery.ts';
import { TickBlock, TickChunk } from './tick-block.ts';
import { untilDoneOrAborted } from '../abortable.ts';

/** Who handles an instrument's ticks in this process. */
export interface TickTargets {
  /** Actors of this instrument alone (its price cache, single-instrument strategies): they share one chunk of it. */
  readonly own: readonly ActorRef<TickChunk>[];
  /** Actors that trade it among other instruments: each gets one chunk of all its instruments' ticks, in order. */
  readonly shared: readonly ActorRef<TickChunk>[];
}

export interface FanoutOptions {
  readonly clock: Clock;
  /** Names the feed on the events made of these ticks. */
  readonly source: string;
  /** Tick deliveries (a tick to one actor) in flight at which `publish` waits, until half have finished. */
  readonly bound: number;
}

/**
 * Ticks from a feed in this process straight to the actors that handle them: each publish becomes one
 * chunk per actor (one delivery, one mailbox slot, one scheduler turn for all its ticks), without the
 * per-record cost of the in-process bus (a record, an offset, a consumer's routing, a delivery and an
 * acknowledgement per tick per actor). Nothing is committed (the embedded log does not outlive the
 * process), so nothing is lost by not writing ticks to it. Per instrument the order is the feed's;
 * `publish` waits while too many ticks are in flight, as the bus's consumer pauses a partition.
 */
export class TickFanout {
  /** Ticks taken from the feed. */
  received = 0;
  /** Tick deliveries handed to actors and not yet finished (outputs confirmed, or dead-lettered). */
  inFlight = 0;
  published = 0;
  private readonly targets: (token: number) => TickTargets;
  private readonly options: FanoutOptions;
  private drained: (() => void) | undefined;

  constructor(targets: (token: number) => TickTargets, options: FanoutOptions) {
    this.targets = targets;
    this.options = options;
  }

  /** Hands the ticks over, then waits while more than the bound are in flight (or until `signal` ends the wait). */
  async publish(ticks: readonly MarketTick[], signal?: AbortSignal): Promise<void> {
    if (ticks.length === 0) return;
    this.hand(new TickBlock(ticks, this.options.clock.now(), this.options.source));
    this.published += ticks.length;
    await this.room(signal);
  }

  /** Hands a block to its actors, a chunk each; `onDone` once every chunk of it is finished. */
  hand(block: TickBlock, onDone?: () => void): void {
    const { ticks } = block;
    const byToken = new Map<number, number[]>();
    for (let i = 0; i < ticks.length; i++) {
      const token = ticks[i]!.instrument_token;
      const list = byToken.get(token);
      if (list) list.push(i);
      else byToken.set(token, [i]);
    }
    const ack = new BlockAck(this, onDone);
    let merged: Map<ActorRef<TickChunk>, number[]> | undefined;
    for (const [token, indexes] of byToken) {
      const t = this.targets(token);
      for (const ref of t.own) this.deliver(ref, new TickChunk(block, indexes), ack);
      for (const ref of t.shared) {
        const list = (merged ??= new Map()).get(ref);
        if (list) list.push(...indexes);
        else merged.set(ref, indexes.slice());
      }
    }
    if (merged) for (const [ref, indexes] of merged) this.deliver(ref, new TickChunk(block, indexes.sort((a, b) => a - b)), ack);
    this.received += ticks.length;
    ack.sealed();
  }

  /** Resolves at once while under the bound; past it, once half of what is in flight has finished. */
  room(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.options.bound || signal?.aborted) return Promise.resolve();
    return untilDoneOrAborted(signal, (done) => {
      const previous = this.drained;
      this.drained = () => {
        previous?.();
        done();
      };
    });
  }

  private deliver(ref: ActorRef<TickChunk>, chunk: TickChunk, ack: BlockAck): void {
    this.inFlight += chunk.size;
    ack.chunks++;
    ref.deliver(new Delivery(chunk, undefined, ack));
  }

  /** A chunk of `size` ticks is finished: its ticks handled and what they caused confirmed. */
  finished(size: number): void {
    this.inFlight -= size;
    if (this.drained && this.inFlight <= this.options.bound >> 1) {
      const wake = this.drained;
      this.drained = undefined;
      wake();
    }
  }
}

/** Counts a block's chunks down to its end. */
class BlockAck implements Ack {
  chunks = 0;
  private handed = false;
  private readonly fanout: TickFanout;
  private readonly onDone: (() => void) | undefined;

  constructor(fanout: TickFanout, onDone: (() => void) | undefined) {
    this.fanout = fanout;
    this.onDone = onDone;
  }

  /** Every chunk has been handed over: a block that had none (no actor for its ticks) is done now. */
  sealed(): void {
    this.handed = true;
    if (this.chunks === 0) this.onDone?.();
  }

  done(delivery: Delivery): void {
    this.fanout.finished((delivery.message as TickChunk).size);
    if (--this.chunks === 0 && this.handed) this.onDone?.();
  }
}

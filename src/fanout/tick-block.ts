import { randomUUID } from 'node:crypto';
import type { MarketTick } from '../contracts/events.ts';
import { createEvent, type Envelope } from '../contracts/envelope.ts';
import type { Batched } from '../runtime/batched.ts';

export type TickEvent = Envelope<'market_tick'>;

const NODE_SPACE = 2 ** 48;

/**
 * The id of the tick at `index` of a block whose id base is `base` (a random UUID): the base with
 * `index` added to its last 48 bits. Still a version-4 UUID; unique within the block, and as unlikely
 * to meet another block's as two random UUIDs. Whoever holds the block (a worker thread given part of
 * it) names a tick's event the same way, so every strategy that signals on one tick names one cause.
 */
export function tickIdAt(base: string, index: number): string {
  const node = (Number.parseInt(base.slice(24), 16) + index) % NODE_SPACE;
  return `${base.slice(0, 24)}${node.toString(16).padStart(12, '0')}`;
}

/**
 * Ticks handed over in process in one go (what a feed published at once), with their `market_tick`
 * events made only when something reads them: a strategy that signals on a tick (the signal's cause),
 * or a dead letter. Most ticks cause nothing, and an event per tick (an id, an ISO time, an object) was
 * a fifth of the in-process pipeline's cost. Made once per tick at most, so every strategy that signals
 * on one tick names the same cause.
 */
export class TickBlock {
  readonly ticks: readonly MarketTick[];
  /** When the block was published (ms): every tick event's `ts`. */
  readonly at: number;
  readonly source: string;
  /** The ids' base (see tickIdAt). */
  readonly base: string;
  /** Each tick's place in the block its ids count in (a part of another block, handed to a worker thread); its own index by default. */
  private readonly places: ArrayLike<number> | undefined;
  private events: Array<TickEvent | undefined> | undefined;

  constructor(ticks: readonly MarketTick[], at: number, source: string, options: { base?: string; places?: ArrayLike<number>; events?: Array<TickEvent | undefined> } = {}) {
    this.ticks = ticks;
    this.at = at;
    this.source = source;
    this.base = options.base ?? randomUUID();
    this.places = options.places;
    this.events = options.events;
  }

  /** Where tick `index` stands in the block its id counts in. */
  placeOf(index: number): number {
    return this.places ? this.places[index]! : index;
  }

  /** The event of the tick at `index`, made on first use. */
  event(index: number): TickEvent {
    const events = (this.events ??= new Array<TickEvent | undefined>(this.ticks.length));
    let e = events[index];
    if (!e) {
      const data = this.ticks[index]!;
      events[index] = e = createEvent({ type: 'market_tick', broker: 'market', source: this.source, key: String(data.instrument_token), data, now: this.at, id: tickIdAt(this.base, this.placeOf(index)) });
    }
    return e;
  }
}

/**
 * One actor's share of a block: the positions of its ticks, in the block's order (so an actor trading
 * several instruments sees them interleaved as published). `next` is the first not yet handled.
 */
export class TickChunk implements Batched {
  readonly batched = true as const;
  readonly block: TickBlock;
  readonly indexes: readonly number[];
  next = 0;

  constructor(block: TickBlock, indexes: readonly number[]) {
    this.block = block;
    this.indexes = indexes;
  }

  get size(): number {
    return this.indexes.length;
  }

  get remaining(): number {
    return this.indexes.length - this.next;
  }

  get position(): number {
    return this.next;
  }

  /** The tick at the cursor (it failed), as its event, for the dead letters; the cursor moves past it. */
  takeFailed(): TickEvent {
    return this.block.event(this.indexes[this.next++]!);
  }
}

export const isTickChunk = (m: unknown): m is TickChunk => m instanceof TickChunk;

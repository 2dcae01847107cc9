import type { MarketTick } from '../contracts/events.ts';
import type { Instrument } from '../market/instruments.ts';
import { roundToTick, toRupees, type Paise } from '../money.ts';
import { isoAt } from '../iso-time.ts';
import { seededRandom, type Random } from '../random.ts';

export interface SimLane {
  readonly instrument: Instrument;
  price: Paise;
  volume: number;
  /** The lane's own stream: an instrument's ticks do not depend on which others are simulated beside it. */
  readonly random: Random;
}

/** The draws a tick's depth takes (two a level, five levels a side), after its walk's. */
const DEPTH_DRAWS = 20;

/** A normal draw from two uniforms (Box-Muller). */
function gaussian(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * A seeded random walk per instrument, starting from the catalogue's reference price, moving in the
 * instrument's ticks, with five levels of depth a tick or two apart and a cumulative volume. The same
 * seed gives the same ticks. Each instrument draws from a stream of its own (the seed and its token), so
 * a worker thread simulating some of the instruments makes exactly their ticks of the whole market.
 */
export class SimMarket {
  private readonly lanes: SimLane[];
  private readonly seed: string;
  private readonly volatility: number;
  private next = 0;

  constructor(instruments: readonly Instrument[], seed: string, volatility: number) {
    if (instruments.length === 0) throw new RangeError('the simulator needs at least one instrument');
    this.seed = seed;
    this.volatility = volatility;
    this.lanes = instruments.map((instrument) => this.lane(instrument));
  }

  private lane(instrument: Instrument): SimLane {
    return { instrument, price: instrument.referencePrice, volume: 0, random: seededRandom(`${this.seed}|${instrument.token}`) };
  }

  get instruments(): number {
    return this.lanes.length;
  }

  /** The instruments in lane order (a new one is always last). */
  get tokens(): number[] {
    return this.lanes.map((l) => l.instrument.token);
  }

  /** Adds an instrument (a strategy added while running trades it); false if it is simulated already. */
  add(instrument: Instrument): boolean {
    if (this.lanes.some((l) => l.instrument.token === instrument.token)) return false;
    this.lanes.push(this.lane(instrument));
    return true;
  }

  /** The next tick, instruments in turn, stamped at `ts` (ms since the epoch). */
  tick(ts: number): MarketTick {
    const lane = this.lanes[this.next]!;
    this.next = (this.next + 1) % this.lanes.length;
    return this.step(lane, ts);
  }

  /** Lane `index`'s next tick, stamped at `ts`: how a worker makes its own instruments' ticks only. */
  tickOf(index: number, ts: number): MarketTick {
    return this.step(this.lanes[index]!, ts);
  }

  /**
   * Moves lane `index` on by `n` ticks without making them: the same draws and the same walk, so its
   * next tick is the one the whole market's simulator would make (a worker that starts simulating an
   * instrument partway catches up with it).
   */
  skip(index: number, n: number): void {
    const lane = this.lanes[index]!;
    for (let k = 0; k < n; k++) {
      this.walk(lane);
      for (let d = 0; d < DEPTH_DRAWS; d++) lane.random();
    }
  }

  /** The price, volume and spread of a lane's next tick: the draws every tick starts with. */
  private walk(lane: SimLane): { lastQuantity: number; spread: Paise } {
    const { tick } = lane.instrument;
    const random = lane.random;
    const move = lane.price * this.volatility * gaussian(random);
    lane.price = Math.max(tick, roundToTick(Math.round(lane.price + move), tick, 'nearest'));
    const lastQuantity = 1 + Math.floor(random() * 200);
    lane.volume += lastQuantity;
    return { lastQuantity, spread: tick * (1 + Math.floor(random() * 2)) };
  }

  private step(lane: SimLane, ts: number): MarketTick {
    const { tick } = lane.instrument;
    const random = lane.random;
    const { lastQuantity, spread } = this.walk(lane);
    // Two draws a level (quantity, orders), five levels a side, buys first: DEPTH_DRAWS in all.
    const level = (side: 1 | -1, i: number) => ({
      price: toRupees(Math.max(tick, lane.price + side * (spread + i * tick))),
      quantity: 1 + Math.floor(random() * 500),
      orders: 1 + Math.floor(random() * 10),
    });
    const iso = isoAt(ts);
    return {
      instrument_token: lane.instrument.token,
      last_price: toRupees(lane.price),
      last_quantity: lastQuantity,
      volume: lane.volume,
      depth: { buy: [0, 1, 2, 3, 4].map((i) => level(-1, i)), sell: [0, 1, 2, 3, 4].map((i) => level(1, i)) },
      exchange_timestamp: iso,
      timestamp: iso,
      simulated: true,
    };
  }
}

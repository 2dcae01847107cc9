import type { MarketTick } from '../contracts/events.ts';
import type { Instrument } from '../market/instruments.ts';
import { roundToTick, toRupees, type Paise } from '../money.ts';
import { seededRandom, type Random } from '../random.ts';

export interface SimLane {
  readonly instrument: Instrument;
  price: Paise;
  volume: number;
}

/** A normal draw from two uniforms (Box-Muller). */
function gaussian(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}


/**
 * A seeded random walk per instrument, starting from the catalogue's reference price, moving in the
 * instrument's ticks, with five levels of depth a tick or two apart and a cumulative volume. The same
 * seed gives the same ticks.
 */
export class SimMarket {
  private readonly lanes: SimLane[];
  private readonly random: Random;
  private readonly volatility: number;
  private next = 0;

  constructor(instruments: readonly Instrument[], seed: string, volatility: number) {
    if (instruments.length === 0) throw new RangeError('the simulator needs at least one instrument');
    this.lanes = instruments.map((instrument) => ({ instrument, price: instrument.referencePrice, volume: 0 }));
    this.random = seededRandom(seed);
    this.volatility = volatility;
  }

  get instruments(): number {
    return this.lanes.length;
  }

  /** Adds an instrument (a strategy added while running trades it); false if it is simulated already. */
  add(instrument: Instrument): boolean {
    if (this.lanes.some((l) => l.instrument.token === instrument.token)) return false;
    this.lanes.push({ instrument, price: instrument.referencePrice, volume: 0 });
    return true;
  }

  /** The next tick, instruments in turn, stamped at `ts` (ms since the epoch). */
  tick(ts: number): MarketTick {
    const lane = this.lanes[this.next]!;
    this.next = (this.next + 1) % this.lanes.length;
    const { tick } = lane.instrument;
    const move = lane.price * this.volatility * gaussian(this.random);
    lane.price = Math.max(tick, roundToTick(Math.round(lane.price + move), tick, 'nearest'));
    const lastQuantity = 1 + Math.floor(this.random() * 200);
    lane.volume += lastQuantity;
    const spread = tick * (1 + Math.floor(this.random() * 2));
    const level = (side: 1 | -1, i: number) => ({
      price: toRupees(Math.max(tick, lane.price + side * (spread + i * tick))),
      quantity: 1 + Math.floor(this.random() * 500),
      orders: 1 + Math.floor(this.random() * 10),
    });
    const iso = new Date(ts).toISOString();
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

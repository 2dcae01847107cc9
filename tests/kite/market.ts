import type { KiteInstrument } from './instruments.ts';
import type { DepthLevel, Tick } from './packets.ts';
import { clean, roundToTick } from './prices.ts';

/** What KiteServer.setQuote takes: bid/ask default to one tick either side of last_price. */
export interface QuoteUpdate {
  last_price: number;
  bid?: number;
  ask?: number;
  /** The day's cumulative volume; without it each update is a print of one lot. */
  volume?: number;
}

/** One instrument's market: the touch, the day's OHLC (close = the previous close) and its trading so far. */
export interface MarketState {
  readonly instrument: KiteInstrument;
  last_price: number;
  bid: number;
  ask: number;
  last_quantity: number;
  average_price: number;
  volume: number;
  open: number;
  high: number;
  low: number;
  readonly close: number;
  /** Epoch ms of the last print; 0 before the first. */
  last_trade_time: number;
  /** Epoch ms of the last update. */
  timestamp: number;
}

const DEPTH_LEVELS = 5;

/**
 * The instruments and their quotes. Each instrument with a last_price starts there (bid/ask a tick
 * either side, OHLC all at it); one without has no quote until setQuote gives it one.
 */
export class Market {
  private readonly byToken = new Map<number, KiteInstrument>();
  private readonly bySymbol = new Map<string, KiteInstrument>();
  private readonly states = new Map<number, MarketState>();

  constructor(instruments: readonly KiteInstrument[], now: number) {
    for (const i of instruments) {
      this.byToken.set(i.instrument_token, i);
      this.bySymbol.set(`${i.exchange}:${i.tradingsymbol}`, i);
      if (i.last_price !== undefined) this.states.set(i.instrument_token, initialState(i, i.last_price, now));
    }
  }

  instruments(): KiteInstrument[] {
    return [...this.byToken.values()];
  }

  instrument(token: number): KiteInstrument | undefined {
    return this.byToken.get(token);
  }

  /** By Kite's `EXCHANGE:TRADINGSYMBOL` key. */
  find(exchange: string, tradingsymbol: string): KiteInstrument | undefined {
    return this.bySymbol.get(`${exchange}:${tradingsymbol}`);
  }

  state(token: number): Readonly<MarketState> | undefined {
    return this.states.get(token);
  }

  set(token: number, q: QuoteUpdate, now: number): Readonly<MarketState> {
    const instrument = this.byToken.get(token);
    if (!instrument) throw new Error(`setQuote: no instrument with token ${token}`);
    if (!(q.last_price > 0)) throw new Error(`setQuote: last_price must be positive, got ${q.last_price}`);
    const s = this.states.get(token) ?? initialState(instrument, q.last_price, now);
    const tick = instrument.tick_size;
    const bid = q.bid ?? roundToTick(q.last_price - tick, tick);
    const ask = q.ask ?? roundToTick(q.last_price + tick, tick);
    if (!(bid < ask)) throw new Error(`setQuote: bid ${bid} must be below ask ${ask}`);
    if (q.volume !== undefined && q.volume < s.volume) throw new Error(`setQuote: the day's volume cannot fall (${s.volume} -> ${q.volume})`);
    const traded = q.volume === undefined ? instrument.lot_size : q.volume - s.volume;
    Object.assign(s, { last_price: q.last_price, bid, ask, timestamp: now, high: Math.max(s.high, q.last_price), low: Math.min(s.low, q.last_price) });
    if (traded > 0) {
      s.average_price = clean((s.average_price * s.volume + q.last_price * traded) / (s.volume + traded));
      s.volume += traded;
      s.last_quantity = traded;
      s.last_trade_time = now;
    }
    this.states.set(token, s);
    return s;
  }

  /** Five synthetic levels a side stepping a tick away from the touch, deeper levels larger. */
  depth(s: Readonly<MarketState>): { buy: DepthLevel[]; sell: DepthLevel[] } {
    const tick = s.instrument.tick_size;
    const level = (from: number, step: number) => (k: number): DepthLevel => ({
      price: roundToTick(from + step * k, tick),
      quantity: s.instrument.lot_size * 10 * (k + 1),
      orders: k + 1,
    });
    const levels = [...Array(DEPTH_LEVELS).keys()];
    return { buy: levels.map(level(s.bid, -tick)).filter((d) => d.price > 0), sell: levels.map(level(s.ask, tick)) };
  }

  /** The packet values of an instrument's current state. */
  tick(s: Readonly<MarketState>): Tick {
    const depth = this.depth(s);
    const total = (side: DepthLevel[]): number => side.reduce((n, d) => n + d.quantity, 0);
    return {
      instrument_token: s.instrument.instrument_token,
      last_price: s.last_price,
      last_quantity: s.last_quantity,
      average_price: s.average_price,
      volume: s.volume,
      buy_quantity: total(depth.buy),
      sell_quantity: total(depth.sell),
      ohlc: { open: s.open, high: s.high, low: s.low, close: s.close },
      last_trade_time: Math.floor(s.last_trade_time / 1000),
      oi: 0,
      oi_day_high: 0,
      oi_day_low: 0,
      timestamp: Math.floor(s.timestamp / 1000),
      depth,
    };
  }
}

function initialState(instrument: KiteInstrument, price: number, now: number): MarketState {
  const tick = instrument.tick_size;
  return {
    instrument,
    last_price: price,
    bid: roundToTick(price - tick, tick),
    ask: roundToTick(price + tick, tick),
    last_quantity: 0,
    average_price: 0,
    volume: 0,
    open: price,
    high: price,
    low: price,
    close: price,
    last_trade_time: 0,
    timestamp: now,
  };
}

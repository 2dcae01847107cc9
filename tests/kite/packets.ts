/**
 * Kite's binary market-data packets (kite.trade/docs/connect/v3/websocket): big-endian, prices as
 * integers (x100; CDS x1e7, BCD x1e4), times as epoch seconds. Quantities and prices are written
 * unsigned: volume can pass 2^31, and instrument tokens do too.
 */

export type TickMode = 'ltp' | 'quote' | 'full';

export interface DepthLevel {
  price: number;
  quantity: number;
  orders: number;
}

/** The values one packet carries, named as Kite's decoded ticks (tests/fixtures/kite/ticker_full.json) name them. */
export interface Tick {
  instrument_token: number;
  last_price: number;
  last_quantity: number;
  average_price: number;
  volume: number;
  buy_quantity: number;
  sell_quantity: number;
  ohlc: { open: number; high: number; low: number; close: number };
  /** Epoch seconds; 0 before the day's first trade. */
  last_trade_time: number;
  oi: number;
  oi_day_high: number;
  oi_day_low: number;
  /** Epoch seconds. */
  timestamp: number;
  depth: { buy: DepthLevel[]; sell: DepthLevel[] };
}

const SEGMENT_CDS = 3;
const SEGMENT_BCD = 6;
const SEGMENT_INDICES = 9;

/** The exchange segment is the low byte of the instrument token. */
export const segmentOf = (token: number): number => token & 0xff;

export function priceDivisor(token: number): number {
  const segment = segmentOf(token);
  return segment === SEGMENT_CDS ? 1e7 : segment === SEGMENT_BCD ? 1e4 : 100;
}

export const PACKET_LENGTH = { ltp: 8, quote: 44, full: 184, indexQuote: 28, indexFull: 32 } as const;

/** A heartbeat: the 1-byte binary frame Kite sends when it has nothing else to say. */
export const HEARTBEAT = Buffer.alloc(1);

export function encodePacket(mode: TickMode, t: Tick): Buffer {
  const divisor = priceDivisor(t.instrument_token);
  const price = (p: number): number => Math.round(p * divisor);
  const index = segmentOf(t.instrument_token) === SEGMENT_INDICES;
  const length = mode === 'ltp' ? PACKET_LENGTH.ltp : index ? (mode === 'full' ? PACKET_LENGTH.indexFull : PACKET_LENGTH.indexQuote) : PACKET_LENGTH[mode];
  const b = Buffer.alloc(length);
  let at = 0;
  const u32 = (v: number): void => {
    at = b.writeUInt32BE(v, at);
  };
  u32(t.instrument_token);
  u32(price(t.last_price));
  if (mode === 'ltp') return b;
  if (index) {
    // Index packets order OHLC as high, low, open, close, then the net change (which can be negative).
    for (const p of [t.ohlc.high, t.ohlc.low, t.ohlc.open, t.ohlc.close]) u32(price(p));
    at = b.writeInt32BE(price(t.last_price) - price(t.ohlc.close), at);
    if (mode === 'full') u32(t.timestamp);
    return b;
  }
  for (const v of [t.last_quantity, price(t.average_price), t.volume, t.buy_quantity, t.sell_quantity]) u32(v);
  for (const p of [t.ohlc.open, t.ohlc.high, t.ohlc.low, t.ohlc.close]) u32(price(p));
  if (mode === 'quote') return b;
  for (const v of [t.last_trade_time, t.oi, t.oi_day_high, t.oi_day_low, t.timestamp]) u32(v);
  for (const side of [t.depth.buy, t.depth.sell]) {
    for (let level = 0; level < 5; level++) {
      const d = side[level] ?? { price: 0, quantity: 0, orders: 0 };
      u32(d.quantity);
      u32(price(d.price));
      at = b.writeUInt16BE(d.orders, at) + 2; // then 2 bytes of padding
    }
  }
  return b;
}

/** One binary frame: int16 number of packets, then each packet behind its int16 length. */
export function encodeFrame(packets: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  parts[0]!.writeUInt16BE(packets.length);
  for (const p of packets) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(p.length);
    parts.push(length, p);
  }
  return Buffer.concat(parts);
}

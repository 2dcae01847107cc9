import type { MarketTick } from '../../contracts/events.ts';

/**
 * Kite's binary tick protocol, parsed without I/O. A frame is an int16 packet count, then per packet an
 * int16 length and its bytes, all big-endian; the length says the layout. Every int32 is read unsigned
 * (volumes and open interest pass 2^31), except the index packets' signed net change.
 */

export type KiteMode = 'ltp' | 'quote' | 'full';

export interface Ohlc {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export interface DepthEntry {
  readonly quantity: number;
  readonly price: number;
  readonly orders: number;
}

interface PacketBase {
  /** False for indices (segment 9). */
  readonly tradable: boolean;
  readonly instrument_token: number;
  /** Rupees (segment 3 has 7 decimals on the wire, segment 6 has 4). */
  readonly last_price: number;
}

export interface LtpPacket extends PacketBase {
  readonly mode: 'ltp';
}

/** An index's quote (28 bytes) or full (32 bytes, with the exchange time) packet. */
export interface IndexPacket extends PacketBase {
  readonly mode: 'quote' | 'full';
  readonly ohlc: Ohlc;
  /** Percent change from the previous close, as Kite's JS and Python clients compute it (0 without a close). */
  readonly change: number;
  /** The packet's own signed price change field, in rupees. */
  readonly net_change: number;
  /** Ms since the epoch; null in quote mode or when the exchange sent none. */
  readonly exchange_timestamp: number | null;
}

export interface QuotePacket extends PacketBase {
  readonly mode: 'quote';
  readonly last_traded_quantity: number;
  readonly average_traded_price: number;
  readonly volume_traded: number;
  readonly total_buy_quantity: number;
  readonly total_sell_quantity: number;
  readonly ohlc: Ohlc;
  /** Percent change from the previous close (0 without a close). */
  readonly change: number;
}

export interface FullPacket extends Omit<QuotePacket, 'mode'> {
  readonly mode: 'full';
  /** Ms since the epoch; null when the exchange sent none. */
  readonly last_trade_time: number | null;
  readonly oi: number;
  readonly oi_day_high: number;
  readonly oi_day_low: number;
  /** Ms since the epoch; null when the exchange sent none. */
  readonly exchange_timestamp: number | null;
  /** Five levels a side, as sent: empty levels have zero price and quantity. */
  readonly depth: { readonly buy: readonly DepthEntry[]; readonly sell: readonly DepthEntry[] };
}

export type KitePacket = LtpPacket | IndexPacket | QuotePacket | FullPacket;

/** The packets of a frame that parsed, and what was wrong with the rest (empty when nothing was). */
export interface ParsedFrame {
  readonly packets: KitePacket[];
  readonly errors: string[];
}

const SEGMENT_CDS = 3;
const SEGMENT_BCD = 6;
const SEGMENT_INDICES = 9;
const PACKET_LENGTHS = new Set([8, 28, 32, 44, 184]);

/** Kite's keep-alive when nothing else is sent: a one-byte binary frame. */
export function isHeartbeat(frame: Buffer): boolean {
  return frame.length === 1;
}

/**
 * The packets of a binary frame. Those before a problem are kept: each had its own length prefix and a
 * known layout, so it is whole. A packet of unknown length is skipped; a truncation ends the frame.
 */
export function parseFrame(frame: Buffer): ParsedFrame {
  const packets: KitePacket[] = [];
  const errors: string[] = [];
  if (isHeartbeat(frame)) return { packets, errors };
  if (frame.length < 2) return { packets, errors: ['empty frame: no packet count'] };
  const count = frame.readUInt16BE(0);
  let at = 2;
  for (let i = 1; i <= count; i++) {
    if (at + 2 > frame.length) {
      errors.push(`frame truncated: packet ${i} of ${count} has no length (frame is ${frame.length} bytes)`);
      return { packets, errors };
    }
    const length = frame.readUInt16BE(at);
    at += 2;
    if (at + length > frame.length) {
      errors.push(`frame truncated: packet ${i} of ${count} says ${length} bytes, ${frame.length - at} remain`);
      return { packets, errors };
    }
    const packet = parsePacket(frame.subarray(at, at + length));
    at += length;
    if (packet) packets.push(packet);
    else errors.push(`packet ${i} of ${count} has ${length} bytes, which is no known layout (8, 28, 32, 44, 184)`);
  }
  if (at < frame.length) errors.push(`${frame.length - at} bytes after the last of ${count} packets`);
  return { packets, errors };
}

/** One packet (without its length prefix); undefined when its length is no known layout. */
export function parsePacket(b: Buffer): KitePacket | undefined {
  if (!PACKET_LENGTHS.has(b.length)) return undefined;
  const instrument_token = b.readUInt32BE(0);
  const segment = instrument_token & 0xff;
  const divisor = segment === SEGMENT_CDS ? 1e7 : segment === SEGMENT_BCD ? 1e4 : 100;
  const price = (offset: number) => b.readUInt32BE(offset) / divisor;
  const time = (offset: number) => b.readUInt32BE(offset) * 1000 || null;
  const base = { tradable: segment !== SEGMENT_INDICES, instrument_token, last_price: price(4) };
  if (b.length === 8) return { mode: 'ltp', ...base };

  if (b.length === 28 || b.length === 32) {
    const ohlc = { open: price(16), high: price(8), low: price(12), close: price(20) };
    return {
      mode: b.length === 32 ? 'full' : 'quote',
      ...base,
      ohlc,
      change: percentChange(base.last_price, ohlc.close),
      net_change: b.readInt32BE(24) / divisor,
      exchange_timestamp: b.length === 32 ? time(28) : null,
    };
  }

  const ohlc = { open: price(28), high: price(32), low: price(36), close: price(40) };
  const quote = {
    ...base,
    last_traded_quantity: b.readUInt32BE(8),
    average_traded_price: price(12),
    volume_traded: b.readUInt32BE(16),
    total_buy_quantity: b.readUInt32BE(20),
    total_sell_quantity: b.readUInt32BE(24),
    ohlc,
    change: percentChange(base.last_price, ohlc.close),
  };
  if (b.length === 44) return { mode: 'quote', ...quote };

  const level = (offset: number): DepthEntry => ({ quantity: b.readUInt32BE(offset), price: price(offset + 4), orders: b.readUInt16BE(offset + 8) });
  const side = (from: number) => Array.from({ length: 5 }, (_, i) => level(from + i * 12));
  return {
    mode: 'full',
    ...quote,
    last_trade_time: time(44),
    oi: b.readUInt32BE(48),
    oi_day_high: b.readUInt32BE(52),
    oi_day_low: b.readUInt32BE(56),
    exchange_timestamp: time(60),
    depth: { buy: side(64), sell: side(124) },
  };
}

function percentChange(last: number, close: number): number {
  return close === 0 ? 0 : ((last - close) * 100) / close;
}

const paise = (rupees: number) => Math.round(rupees * 100) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A packet as our `market_tick` payload, or undefined when it cannot be one: no trade yet (last price
 * 0) or no instrument token. Every price is rounded to whole paise, which the event contract requires:
 * currency derivatives (CDS, quoted to 4 decimals on a 0.0025 tick; BCD likewise) lose their sub-paise
 * digits here, up to half a paisa; the packet keeps the exact price. Packets without an exchange time
 * (ltp, quote) take the receive time; an ltp packet has no volume and reports 0. An OHLC with a zero
 * (an instrument that has not opened, a listing without a previous close) is left out, and so are empty
 * depth levels.
 */
export function toMarketTick(p: KitePacket, receivedAt: number): MarketTick | undefined {
  const last_price = paise(p.last_price);
  if (last_price <= 0 || p.instrument_token <= 0) return undefined;
  const exchangeTs = 'exchange_timestamp' in p ? p.exchange_timestamp : null;
  const tick: MarketTick = { instrument_token: p.instrument_token, last_price, volume: 0, exchange_timestamp: iso(exchangeTs ?? receivedAt), timestamp: iso(receivedAt) };
  if ('volume_traded' in p) {
    tick.last_quantity = p.last_traded_quantity;
    tick.average_price = paise(p.average_traded_price);
    tick.volume = p.volume_traded;
    tick.buy_quantity = p.total_buy_quantity;
    tick.sell_quantity = p.total_sell_quantity;
  }
  if ('ohlc' in p) {
    const ohlc = { open: paise(p.ohlc.open), high: paise(p.ohlc.high), low: paise(p.ohlc.low), close: paise(p.ohlc.close) };
    if (ohlc.open > 0 && ohlc.high > 0 && ohlc.low > 0 && ohlc.close > 0) tick.ohlc = ohlc;
  }
  if ('depth' in p) {
    const levels = (side: readonly DepthEntry[]) => side.filter((l) => l.quantity > 0 && l.price > 0).map((l) => ({ price: paise(l.price), quantity: l.quantity, orders: l.orders }));
    tick.depth = { buy: levels(p.depth.buy), sell: levels(p.depth.sell) };
  }
  return tick;
}

/** A text frame: an order update, a message or error from Kite to show, or something unreadable. */
export type KiteText =
  | { readonly type: 'order'; readonly data: unknown }
  | { readonly type: 'error' | 'message'; readonly text: string }
  | { readonly type: 'unreadable'; readonly problem: string };

export function parseText(s: string): KiteText {
  let frame: unknown;
  try {
    frame = JSON.parse(s);
  } catch {
    return { type: 'unreadable', problem: `text frame is not JSON: ${s.slice(0, 200)}` };
  }
  if (typeof frame !== 'object' || frame === null || !('type' in frame)) return { type: 'unreadable', problem: `text frame has no type: ${s.slice(0, 200)}` };
  const { type, data } = frame as { type: unknown; data?: unknown };
  if (type === 'order') return data === undefined ? { type: 'unreadable', problem: 'order frame without data' } : { type, data };
  if (type === 'error' || type === 'message') return { type, text: typeof data === 'string' ? data : (JSON.stringify(data) ?? '') };
  return { type: 'unreadable', problem: `text frame of unknown type ${JSON.stringify(type)}` };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MarketTick } from '../../src/contracts/events.ts';
import { isHeartbeat, parseFrame, parsePacket, parseText, toMarketTick, type KitePacket } from '../../src/feeds/kite/packets.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/kite');
const packetFixture = (name: string) => Buffer.from(readFileSync(join(FIXTURES, `${name}.packet`), 'utf8').trim(), 'base64');
const jsonFixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

/** A frame as Kite sends it: int16 count, then int16 length + bytes per packet. */
function frame(...packets: Buffer[]): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(packets.length);
  return Buffer.concat([head, ...packets.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p])]);
}

/** A packet of `length` bytes from [offset, int32] pairs (unsigned unless negative). */
function packet(length: number, fields: [number, number][]): Buffer {
  const b = Buffer.alloc(length);
  for (const [offset, value] of fields) {
    if (value < 0) b.writeInt32BE(value, offset);
    else b.writeUInt32BE(value, offset);
  }
  return b;
}

const percent = (last: number, close: number) => ((last - close) * 100) / close;

/**
 * The fixtures are gokiteconnect's (zerodha/kiteconnect-mocks): their names are the REST quote's and
 * `change` is Go's net change (last - close). Ours are kiteconnectjs's names, and `change` is the
 * percentage its JS and Python clients compute.
 */
function expected(f: Record<string, any>): Record<string, unknown> {
  const quote = {
    mode: f.mode,
    tradable: f.tradable,
    instrument_token: f.instrument_token,
    last_price: f.last_price,
    last_traded_quantity: f.last_quantity,
    average_traded_price: f.average_price,
    volume_traded: f.volume,
    total_buy_quantity: f.buy_quantity,
    total_sell_quantity: f.sell_quantity,
    ohlc: f.ohlc,
    change: percent(f.last_price, f.ohlc.close),
  };
  if (f.mode === 'quote') return quote;
  return {
    ...quote,
    last_trade_time: Date.parse(f.last_trade_time),
    oi: f.oi,
    oi_day_high: f.oi_day_high,
    oi_day_low: f.oi_day_low,
    exchange_timestamp: Date.parse(f.timestamp),
    depth: f.depth,
  };
}

describe('Kite packets: the official fixtures', () => {
  it('parses the full packet (184 bytes) to the fixture, depth included', () => {
    const fixture = jsonFixture('ticker_full');
    const bytes = packetFixture('ticker_full');
    expect(bytes.length).toBe(184);
    expect(parsePacket(bytes)).toEqual(expected(fixture));
    expect(fixture.change).toBe(fixture.last_price - fixture.ohlc.close);
  });

  it('parses the quote packet (44 bytes), its change recomputed from its own prices', () => {
    const bytes = packetFixture('ticker_quote');
    expect(bytes.length).toBe(44);
    const p = parsePacket(bytes);
    expect(p).toEqual(expected(jsonFixture('ticker_quote')));
    expect(p).toMatchObject({ change: percent(1573.15, 1567.8) });
  });

  it('parses an ltp packet (8 bytes) built from the fixture', () => {
    const fixture = jsonFixture('ticker_ltp');
    const bytes = packet(8, [
      [0, fixture.instrument_token],
      [4, Math.round(fixture.last_price * 100)],
    ]);
    expect(parsePacket(bytes)).toEqual(fixture);
  });

  it('parses a frame of several packets, in order', () => {
    const ltp = packet(8, [
      [0, 408065],
      [4, 157315],
    ]);
    const { packets, errors } = parseFrame(frame(ltp, packetFixture('ticker_quote'), packetFixture('ticker_full')));
    expect(errors).toEqual([]);
    expect(packets.map((p) => [p.mode, p.last_price])).toEqual([
      ['ltp', 1573.15],
      ['quote', 1573.15],
      ['full', 1573.7],
    ]);
  });
});

describe('Kite packets: values and segments', () => {
  it('reads volumes, quantities and open interest of 2^31 and more exactly (unsigned)', () => {
    const bytes = packet(184, [
      [0, 408065],
      [4, 4294967295],
      [8, 2147483648],
      [16, 3_000_000_000],
      [20, 4294967295],
      [24, 2147483648],
      [48, 4294967295],
      [52, 4294967295],
      [56, 2147483648],
      [64, 3_000_000_000],
    ]);
    const p = parsePacket(bytes) as Extract<KitePacket, { mode: 'full'; oi: number }>;
    expect(p).toMatchObject({
      last_price: 42949672.95,
      last_traded_quantity: 2147483648,
      volume_traded: 3_000_000_000,
      total_buy_quantity: 4294967295,
      total_sell_quantity: 2147483648,
      oi: 4294967295,
      oi_day_high: 4294967295,
      oi_day_low: 2147483648,
    });
    expect(p.depth.buy[0]!.quantity).toBe(3_000_000_000);
  });

  it('parses index quote (28 bytes) and full (32 bytes) packets: not tradable, signed net change', () => {
    const nifty = 256265; // segment 9
    const fields: [number, number][] = [
      [0, nifty],
      [4, 2450000],
      [8, 2460000],
      [12, 2440000],
      [16, 2455000],
      [20, 2460125],
      [24, -10125],
    ];
    const quote = parsePacket(packet(28, fields));
    expect(quote).toEqual({
      mode: 'quote',
      tradable: false,
      instrument_token: nifty,
      last_price: 24500,
      ohlc: { open: 24550, high: 24600, low: 24400, close: 24601.25 },
      change: percent(24500, 24601.25),
      net_change: -101.25,
      exchange_timestamp: null,
    });
    expect((quote as { change: number }).change).toBeLessThan(0);
    const full = parsePacket(packet(32, [...fields, [28, 1754884800]]));
    expect(full).toMatchObject({ mode: 'full', tradable: false, net_change: -101.25, exchange_timestamp: 1754884800_000 });
  });

  it('divides CDS prices by 1e7 and BCD prices by 1e4', () => {
    const cds = (1234 << 8) | 3;
    const bcd = (1234 << 8) | 6;
    expect(parsePacket(packet(8, [[0, cds], [4, 832_525_000]]))).toMatchObject({ instrument_token: cds, last_price: 83.2525 });
    expect(parsePacket(packet(8, [[0, bcd], [4, 832_525]]))).toMatchObject({ instrument_token: bcd, last_price: 83.2525 });
  });

  it('reads a zero trade time or exchange time as null', () => {
    expect(parsePacket(packet(184, [[0, 408065], [4, 100]]))).toMatchObject({ last_trade_time: null, exchange_timestamp: null });
  });
});

describe('Kite frames: heartbeats and damage', () => {
  it('knows a heartbeat (one byte) and finds no packets in it', () => {
    const beat = Buffer.from([0]);
    expect(isHeartbeat(beat)).toBe(true);
    expect(isHeartbeat(frame(packetFixture('ticker_quote')))).toBe(false);
    expect(parseFrame(beat)).toEqual({ packets: [], errors: [] });
  });

  it('names a truncated frame, keeping the whole packets before the cut', () => {
    const whole = frame(packetFixture('ticker_quote'), packetFixture('ticker_full'));
    const { packets, errors } = parseFrame(whole.subarray(0, whole.length - 10));
    expect(packets.map((p) => p.mode)).toEqual(['quote']);
    expect(errors).toEqual(['frame truncated: packet 2 of 2 says 184 bytes, 174 remain']);
  });

  it('names a frame cut inside a length, an unknown layout, trailing bytes and an empty frame', () => {
    expect(parseFrame(Buffer.from([0, 1, 0])).errors).toEqual(['frame truncated: packet 1 of 1 has no length (frame is 3 bytes)']);
    const odd = frame(Buffer.alloc(50), packetFixture('ticker_quote'));
    expect(parseFrame(odd)).toMatchObject({ packets: [{ mode: 'quote' }], errors: ['packet 1 of 2 has 50 bytes, which is no known layout (8, 28, 32, 44, 184)'] });
    expect(parseFrame(Buffer.concat([frame(packetFixture('ticker_quote')), Buffer.from([1, 2, 3])])).errors).toEqual(['3 bytes after the last of 1 packets']);
    expect(parseFrame(Buffer.alloc(0)).errors).toEqual(['empty frame: no packet count']);
  });
});

describe('toMarketTick', () => {
  const receivedAt = Date.UTC(2021, 6, 5, 5, 11, 28, 250);

  it('makes a valid market_tick from a full packet: exchange time from the packet, empty depth dropped', () => {
    const bytes = Buffer.from(packetFixture('ticker_full'));
    bytes.writeUInt32BE(0, 64 + 4 * 12); // the fifth bid: no quantity
    bytes.writeUInt32BE(0, 64 + 4 * 12 + 4);
    const tick = MarketTick.parse(toMarketTick(parsePacket(bytes)!, receivedAt));
    expect(tick).toMatchObject({
      instrument_token: 408065,
      last_price: 1573.7,
      last_quantity: 7,
      average_price: 1570.37,
      volume: 1192471,
      buy_quantity: 256443,
      sell_quantity: 363009,
      ohlc: { open: 1569.15, high: 1575, low: 1561.05, close: 1567.8 },
      exchange_timestamp: '2021-07-05T05:11:27.000Z',
      timestamp: '2021-07-05T05:11:28.250Z',
    });
    expect(tick.depth!.buy).toHaveLength(4);
    expect(tick.depth!.sell[0]).toEqual({ price: 1573.7, quantity: 172, orders: 3 });
  });

  it('gives quote and ltp packets the receive time, an ltp packet volume 0', () => {
    const quote = MarketTick.parse(toMarketTick(parsePacket(packetFixture('ticker_quote'))!, receivedAt));
    expect(quote.exchange_timestamp).toBe(new Date(receivedAt).toISOString());
    expect(quote.depth).toBeUndefined();
    const ltp = MarketTick.parse(toMarketTick(parsePacket(packet(8, [[0, 408065], [4, 157315]]))!, receivedAt));
    expect(ltp).toEqual({ instrument_token: 408065, last_price: 1573.15, volume: 0, exchange_timestamp: '2021-07-05T05:11:28.250Z', timestamp: '2021-07-05T05:11:28.250Z' });
  });

  it('has no tick for an instrument that has not traded', () => {
    expect(toMarketTick(parsePacket(packet(44, [[0, 408065]]))!, receivedAt)).toBeUndefined();
  });

  it('rounds a CDS price to whole paise and leaves out an OHLC with zeros', () => {
    const cds = (1234 << 8) | 3;
    const tick = MarketTick.parse(toMarketTick(parsePacket(packet(44, [[0, cds], [4, 832_575_000], [12, 832_512_500], [28, 832_500_000]]))!, receivedAt));
    expect(tick).toMatchObject({ last_price: 83.26, average_price: 83.25 });
    expect(tick.ohlc).toBeUndefined();
  });

  it('makes a valid tick from an index packet', () => {
    const tick = MarketTick.parse(toMarketTick(parsePacket(packet(32, [[0, 256265], [4, 2450000], [8, 2460000], [12, 2440000], [16, 2455000], [20, 2460125], [28, 1754884800]]))!, receivedAt));
    expect(tick).toMatchObject({ instrument_token: 256265, last_price: 24500, volume: 0, exchange_timestamp: '2025-08-11T04:00:00.000Z' });
  });
});

describe('parseText', () => {
  it('reads order updates, and surfaces error and message frames', () => {
    expect(parseText('{"type":"order","data":{"order_id":"151220000000000","status":"COMPLETE"}}')).toEqual({ type: 'order', data: { order_id: '151220000000000', status: 'COMPLETE' } });
    expect(parseText('{"type":"error","data":"Invalid mode"}')).toEqual({ type: 'error', text: 'Invalid mode' });
    expect(parseText('{"type":"message","data":"Market closes early today"}')).toEqual({ type: 'message', text: 'Market closes early today' });
  });

  it('says what is wrong with anything else', () => {
    expect(parseText('not json')).toMatchObject({ type: 'unreadable', problem: expect.stringContaining('not JSON') });
    expect(parseText('{"data":1}')).toMatchObject({ type: 'unreadable', problem: expect.stringContaining('no type') });
    expect(parseText('{"type":"order"}')).toEqual({ type: 'unreadable', problem: 'order frame without data' });
    expect(parseText('{"type":"alert","data":"x"}')).toEqual({ type: 'unreadable', problem: 'text frame of unknown type "alert"' });
  });
});

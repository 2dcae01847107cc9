import { readFileSync } from 'node:fs';
import { KiteTicker } from 'kiteconnect';
import { describe, expect, it } from 'vitest';
import { encodeFrame, encodePacket, type Tick } from './packets.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/kite/${name}`, import.meta.url), 'utf8');
const packet = (name: string): Buffer => Buffer.from(fixture(name).trim(), 'base64');
const json = <T>(name: string): T => JSON.parse(fixture(name)) as T;
const epochSeconds = (iso: string): number => Date.parse(iso) / 1000;

type FullJson = Omit<Tick, 'last_trade_time' | 'timestamp'> & { last_trade_time: string; timestamp: string };
type QuoteJson = Pick<Tick, 'instrument_token' | 'last_price' | 'last_quantity' | 'average_price' | 'volume' | 'buy_quantity' | 'sell_quantity' | 'ohlc'>;

const EMPTY: Omit<Tick, keyof QuoteJson> = { last_trade_time: 0, oi: 0, oi_day_high: 0, oi_day_low: 0, timestamp: 0, depth: { buy: [], sell: [] } };

/** kiteconnect's own decoder (KiteTicker.parseBinary, dist/lib/ticker.js), which its published types omit. */
function kiteconnectParse(frame: Buffer): Record<string, unknown>[] {
  const ticker = new KiteTicker({ api_key: 'k', access_token: 't', reconnect: false }) as unknown as { parseBinary(b: ArrayBuffer): Record<string, unknown>[] };
  return ticker.parseBinary(new Uint8Array(frame).buffer);
}

describe('the binary packet encoder', () => {
  it("encodes ticker_full.json's values into exactly the bytes of ticker_full.packet", () => {
    const full = json<FullJson>('ticker_full.json');
    const tick: Tick = { ...full, last_trade_time: epochSeconds(full.last_trade_time), timestamp: epochSeconds(full.timestamp) };
    expect(encodePacket('full', tick).toString('base64')).toBe(packet('ticker_full.packet').toString('base64'));
  });

  it("encodes ticker_quote.json's values into exactly the bytes of ticker_quote.packet (its copied `change` is not in the packet)", () => {
    const q = json<QuoteJson>('ticker_quote.json');
    expect(encodePacket('quote', { ...EMPTY, ...q }).toString('base64')).toBe(packet('ticker_quote.packet').toString('base64'));
  });

  it('frames packets behind an int16 count and int16 lengths', () => {
    const ltp = encodePacket('ltp', { ...EMPTY, ...json<QuoteJson>('ticker_quote.json'), last_price: 1573.15 });
    const frame = encodeFrame([ltp, ltp]);
    expect([...frame.subarray(0, 4)]).toEqual([0, 2, 0, 8]);
    expect(frame.length).toBe(2 + 2 * (2 + 8));
  });

  it('scales CDS prices by 1e7 and BCD by 1e4, by the segment in the token low byte', () => {
    const at = (token: number): number => encodePacket('ltp', { ...EMPTY, ...json<QuoteJson>('ticker_quote.json'), instrument_token: token, last_price: 83.1225 }).readUInt32BE(4);
    expect(at((1000 << 8) | 3)).toBe(831_225_000);
    expect(at((1000 << 8) | 6)).toBe(831_225);
    expect(at((1000 << 8) | 1)).toBe(8312);
  });

  it('writes index packets of 28 (quote) and 32 (full) bytes: high, low, open, close, a signed change, the timestamp', () => {
    const nifty: Tick = { ...EMPTY, ...json<QuoteJson>('ticker_quote.json'), instrument_token: 256265, last_price: 24390, ohlc: { open: 24410, high: 24450, low: 24380, close: 24400 }, timestamp: 1754900000 };
    expect(encodePacket('quote', nifty).length).toBe(28);
    const full = encodePacket('full', nifty);
    expect(full.length).toBe(32);
    expect([8, 12, 16, 20].map((at) => full.readUInt32BE(at))).toEqual([2445000, 2438000, 2441000, 2440000]);
    expect(full.readInt32BE(24)).toBe(-1000);
    expect(full.readUInt32BE(28)).toBe(1754900000);
  });
});

describe("kiteconnect's decoder, read against the encoder (what a client wrapper must handle)", () => {
  it('decodes the full fixture under its own field names (last_traded_quantity, volume_traded, exchange_timestamp, ...)', () => {
    const full = json<FullJson>('ticker_full.json');
    const [tick] = kiteconnectParse(encodeFrame([packet('ticker_full.packet')]));
    expect(tick).toMatchObject({
      tradable: true,
      mode: 'full',
      instrument_token: full.instrument_token,
      last_price: full.last_price,
      last_traded_quantity: full.last_quantity,
      average_traded_price: full.average_price,
      volume_traded: full.volume,
      total_buy_quantity: full.buy_quantity,
      total_sell_quantity: full.sell_quantity,
      ohlc: full.ohlc,
      last_trade_time: new Date(full.last_trade_time),
      exchange_timestamp: new Date(full.timestamp),
      depth: full.depth,
    });
    expect(tick).not.toHaveProperty('volume');
    // Its `change` is a percentage of the close; the fixture's is the absolute move.
    expect(tick?.change).toBeCloseTo(((full.last_price - full.ohlc.close) * 100) / full.ohlc.close, 9);
    expect(full).toMatchObject({ change: expect.closeTo(full.last_price - full.ohlc.close, 9) });
  });

  it('reads any 32-bit value at or above 2^31 as negative: a large volume, and tokens such as NIFTY25AUGFUT (2304000258)', () => {
    const base = { ...EMPTY, ...json<QuoteJson>('ticker_quote.json') };
    const [tick] = kiteconnectParse(encodeFrame([encodePacket('quote', { ...base, instrument_token: 2304000258, volume: 2 ** 31 + 5 })]));
    expect(tick?.instrument_token).toBe(2304000258 - 2 ** 32);
    expect(tick?.volume_traded).toBe(2 ** 31 + 5 - 2 ** 32);
  });
});

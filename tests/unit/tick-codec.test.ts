import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTicks, encodeTicks } from '../../src/app/shard/tick-codec.ts';
import type { MarketTick } from '../../src/contracts/events.ts';
import { parsePacket, toMarketTick } from '../../src/feeds/kite/packets.ts';
import { SimMarket } from '../../src/feeds/sim.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';

const packet = (name: string) => Buffer.from(readFileSync(join(import.meta.dirname, `../fixtures/kite/${name}.packet`), 'utf8').trim(), 'base64');

describe('ticks between threads (tick-codec)', () => {
  it("carries Kite's full and quote ticks field for field: depth, OHLC, optional quantities, timestamps as written", () => {
    const full = toMarketTick(parsePacket(packet('ticker_full'))!, Date.UTC(2025, 7, 11, 4, 0))!;
    const quote = toMarketTick(parsePacket(packet('ticker_quote'))!, Date.UTC(2025, 7, 11, 4, 0, 1))!;
    expect(full.depth?.buy.length).toBe(5);
    expect(full.ohlc).toBeDefined();
    const ticks = [full, quote, { ...full, exchange_timestamp: '2025-08-11T09:30:00+05:30' }];
    expect(decodeTicks(encodeTicks(ticks))).toEqual(ticks);
  });

  it('keeps absent fields absent (no key with undefined), and the simulator mark', () => {
    const bare: MarketTick = { instrument_token: 256265, last_price: 24_500.5, volume: 0, exchange_timestamp: '2025-08-11T04:00:00.000Z', timestamp: '2025-08-11T04:00:00.000Z' };
    const [back] = decodeTicks(encodeTicks([bare]));
    expect(Object.keys(back!).sort()).toEqual(Object.keys(bare).sort());
    const sim = new SimMarket(InstrumentCatalogue.load('config/instruments.csv').all().slice(0, 3), 'codec', 0.001);
    const simulated = Array.from({ length: 30 }, (_, i) => sim.tick(Date.UTC(2025, 7, 11, 4, 0) + i));
    expect(decodeTicks(encodeTicks(simulated))).toEqual(simulated);
  });

  it('writes the chosen ticks in the order asked, and refuses depth it cannot carry', () => {
    const sim = new SimMarket(InstrumentCatalogue.load('config/instruments.csv').all().slice(0, 4), 'codec', 0.001);
    const ticks = Array.from({ length: 12 }, (_, i) => sim.tick(Date.UTC(2025, 7, 11, 4, 0) + i));
    expect(decodeTicks(encodeTicks(ticks, [9, 2, 5]))).toEqual([ticks[9], ticks[2], ticks[5]]);
    const deep = { ...ticks[0]!, depth: { buy: Array.from({ length: 6 }, () => ({ price: 1, quantity: 1, orders: 1 })), sell: [] } };
    expect(() => encodeTicks([deep])).toThrow(/6 depth levels; at most 5/);
  });
});

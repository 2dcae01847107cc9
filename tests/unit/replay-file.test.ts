import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReplayFile } from '../../src/feeds/replay-file.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';

const catalogue = InstrumentCatalogue.load('config/instruments.csv');
const dir = mkdtempSync(join(tmpdir(), 'replay-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('replay files', () => {
  it('reads the recorded NIFTY 50 day out of the box: 74 five-minute bars, four ticks each, the instrument from the file name', () => {
    const r = readReplayFile('data/nifty50-5min-2025-08-11.csv', { catalogue });
    expect(r.format).toBe('ohlc');
    expect(r.instruments).toEqual([256265]);
    expect(r.ticks).toHaveLength(296);
    // 09:15 IST bar, rising (close 24402.00 >= open 24378.25): open, low, high, close, 75 s apart.
    expect(r.ticks.slice(0, 4).map((t) => [t.exchange_timestamp.slice(11, 19), t.last_price])).toEqual([
      ['03:45:00', 24378.25],
      ['03:46:15', 24347.45],
      ['03:47:30', 24405.15],
      ['03:48:45', 24402],
    ]);
    expect(r.ticks.at(-1)!.volume).toBeGreaterThan(0);
  });

  it('reads tick CSVs with a symbol column and bid/ask, and counts a gap in the data', () => {
    const r = readReplayFile(file('ticks.csv', 'timestamp,tradingsymbol,last_price,volume,best_bid,best_ask\n2025-08-11 09:15:00,RELIANCE,1385.10,100,1385.00,1385.20\n2025-08-11 09:20:00,RELIANCE,1386.00,200,1385.90,1386.10\n'), { catalogue });
    expect(r.format).toBe('ticks');
    expect(r.gaps).toBe(1);
    expect(r.ticks[0]).toMatchObject({ instrument_token: 738561, last_price: 1385.1, depth: { buy: [{ price: 1385 }], sell: [{ price: 1385.2 }] } });
  });

  it('reads JSONL market_tick payloads', () => {
    const tick = { instrument_token: 408065, last_price: 1430.5, volume: 10, exchange_timestamp: '2025-08-11T04:00:00Z', timestamp: '2025-08-11T04:00:00Z' };
    expect(readReplayFile(file('infy.jsonl', `${JSON.stringify(tick)}\n`), { catalogue }).ticks).toEqual([tick]);
  });

  it.each([
    ['time going backwards', 'reliance-bad-order.csv', 'date,open,high,low,close\n2025-08-11 09:20:00,1,2,1,2\n2025-08-11 09:15:00,1,2,1,2\n', /line 3: time goes backwards/],
    ['a price that is not a number', 'bad-price.csv', 'timestamp,instrument_token,last_price\n2025-08-11 09:15:00,738561,abc\n', /line 2: last_price 'abc' is not a number/],
    ['an impossible bar', 'reliance-bad-bar.csv', 'date,open,high,low,close\n2025-08-11 09:15:00,10,9,8,9.5\n', /line 2: bar is inconsistent/],
    ['a file that does not say its instrument', 'unknown.csv', 'date,open,high,low,close\n2025-08-11 09:15:00,1,2,1,2\n', /cannot tell which instrument.*--token/],
    ['a price with fractions of a paisa', 'bad-paise.csv', 'timestamp,instrument_token,last_price\n2025-08-11 09:15:00,738561,-5\n', /line 2: last_price/],
  ])('stops on %s, naming the line', (_what, name, text, message) => {
    expect(() => readReplayFile(file(name, text), { catalogue })).toThrow(message);
  });
});

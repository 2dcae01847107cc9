import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MarketTick } from '../contracts/events.ts';
import type { MarketTick as Tick } from '../contracts/events.ts';
import { InputError } from '../errors.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { normalise } from '../market/instruments.ts';
import { parseIst } from '../market/market-hours.ts';

/**
 * Reads a replay file into ticks, in time order:
 * - CSV of OHLC bars (`date|timestamp, open, high, low, close[, volume]`): each bar becomes four ticks,
 *   open, the extreme nearer the open's direction, the other extreme, close, spread evenly inside the bar;
 * - CSV of ticks (`timestamp, last_price[, volume, best_bid, best_ask]`);
 * - JSONL of `market_tick` payloads (or whole envelopes).
 * The instrument comes from an `instrument_token` or `tradingsymbol` column, else `token`, else the file
 * name when it names a catalogue instrument (nifty50-... -> NIFTY 50). Times without an offset are IST.
 * Anything wrong stops the replay with the file, line and column.
 */
export interface ReplayData {
  readonly ticks: Tick[];
  readonly instruments: number[];
  readonly format: 'ohlc' | 'ticks' | 'jsonl';
  /** Jumps in time longer than 1.5 bar intervals (or 60 s between ticks): halts, missing data, overnight. */
  readonly gaps: number;
}

export interface ReplayOptions {
  readonly token?: number | undefined;
  /**
   * Replay a one-instrument file as the ticks of another (a trading symbol from the catalogue): a
   * recorded index day traded as its future, whose price follows it.
   */
  readonly as?: string | undefined;
  readonly catalogue: InstrumentCatalogue;
}

const fail = (file: string, line: number, message: string): never => {
  throw new InputError([`${file} line ${line}: ${message}`]);
};

function parseTime(text: string | undefined, file: string, line: number): number {
  if (!text) return fail(file, line, 'missing timestamp');
  const t = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? Date.parse(text) : parseIst(text);
  return Number.isNaN(t) ? fail(file, line, `cannot read time '${text}' (ISO 8601, or 'YYYY-MM-DD HH:MM[:SS]' in IST)`) : t;
}

function inferToken(file: string, opts: ReplayOptions): number {
  if (opts.token !== undefined) return opts.catalogue.require(opts.token, `replay of ${file}`).token;
  const stem = normalise(basename(file).replace(/\.[^.]+$/, ''));
  const match = opts.catalogue.all().filter((i) => stem.startsWith(normalise(i.symbol))).sort((a, b) => normalise(b.symbol).length - normalise(a.symbol).length)[0];
  if (!match) throw new InputError([`${file}: cannot tell which instrument it holds: add an instrument_token column or pass --token`]);
  return match.token;
}

const money = (n: number) => Math.round(n * 100) / 100;

export function readReplayFile(file: string, opts: ReplayOptions): ReplayData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError([`cannot read replay file ${file}: ${(e as Error).message}`]);
  }
  const ticks = file.endsWith('.jsonl') ? readJsonl(text, file) : readCsv(text, file, opts);
  for (let i = 0; i < ticks.ticks.length; i++) {
    const parsed = MarketTick.safeParse(ticks.ticks[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail(file, ticks.lines[i]!, `${issue.path.join('.') || 'tick'}: ${issue.message}`);
    }
  }
  let instruments = [...new Set(ticks.ticks.map((t) => t.instrument_token))];
  if (opts.as !== undefined) {
    const target = opts.catalogue.bySymbolLoose(opts.as);
    if (!target) throw new InputError([`--as ${opts.as}: not in the instrument catalogue`]);
    if (instruments.length > 1) throw new InputError([`${file}: --as replays one instrument as another, but the file holds ${instruments.length}`]);
    for (const t of ticks.ticks) t.instrument_token = target.token;
    instruments = [target.token];
  }
  return { ticks: ticks.ticks, instruments, format: ticks.format, gaps: ticks.gaps };
}

interface Parsed {
  ticks: Tick[];
  lines: number[];
  format: ReplayData['format'];
  gaps: number;
}

function readJsonl(text: string, file: string): Parsed {
  const out: Parsed = { ticks: [], lines: [], format: 'jsonl', gaps: 0 };
  let last = -Infinity;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      fail(file, i + 1, `not JSON: ${(e as Error).message}`);
    }
    const tick = ((value as { type?: string; data?: unknown }).type === 'market_tick' ? (value as { data: unknown }).data : value) as Tick;
    const ts = Date.parse(tick.exchange_timestamp);
    if (ts < last) fail(file, i + 1, `time goes backwards (${tick.exchange_timestamp})`);
    if (ts - last > 60_000 && last !== -Infinity) out.gaps++;
    last = ts;
    out.ticks.push(tick);
    out.lines.push(i + 1);
  });
  return out;
}

function readCsv(text: string, file: string, opts: ReplayOptions): Parsed {
  const rows = text.split(/\r?\n/).map((l, i) => ({ cells: l.split(',').map((c) => c.trim()), line: i + 1 })).filter((r) => r.cells.join('') !== '');
  const header = (rows.shift()?.cells ?? []).map((h) => h.toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const c = { time: col('date', 'timestamp', 'time', 'datetime', 'exchange_timestamp'), open: col('open'), high: col('high'), low: col('low'), close: col('close'), last: col('last_price', 'ltp', 'price'), volume: col('volume'), bid: col('best_bid', 'bid'), ask: col('best_ask', 'ask'), token: col('instrument_token', 'token'), symbol: col('tradingsymbol', 'symbol') };
  if (c.time < 0) fail(file, 1, `no time column (date, timestamp, time, datetime or exchange_timestamp) in header '${header.join(',')}'`);
  const ohlc = c.open >= 0 && c.high >= 0 && c.low >= 0 && c.close >= 0;
  if (!ohlc && c.last < 0) fail(file, 1, `neither OHLC columns (open, high, low, close) nor a last_price column in header '${header.join(',')}'`);
  const fixedToken = c.token < 0 && c.symbol < 0 ? inferToken(file, opts) : undefined;
  const num = (r: (typeof rows)[number], k: number, name: string, required: boolean): number | undefined => {
    const raw = r.cells[k];
    if (k < 0 || raw === undefined || raw === '') return required ? fail(file, r.line, `${name} is empty`) : undefined;
    const n = Number(raw);
    return Number.isFinite(n) ? n : fail(file, r.line, `${name} '${raw}' is not a number`);
  };
  const tokenOf = (r: (typeof rows)[number]): number => {
    if (fixedToken !== undefined) return fixedToken;
    if (c.token >= 0) return num(r, c.token, 'instrument_token', true)!;
    const found = opts.catalogue.bySymbolLoose(r.cells[c.symbol] ?? '');
    return found ? found.token : fail(file, r.line, `tradingsymbol '${r.cells[c.symbol]}' is not in the instrument catalogue`);
  };
  const times = rows.map((r) => parseTime(r.cells[c.time], file, r.line));
  for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) fail(file, rows[i]!.line, `time goes backwards (${rows[i]!.cells[c.time]})`);
  const out: Parsed = { ticks: [], lines: [], format: ohlc ? 'ohlc' : 'ticks', gaps: 0 };
  const iso = (t: number) => new Date(t).toISOString();
  if (!ohlc) {
    let volume = 0;
    rows.forEach((r, i) => {
      if (i > 0 && times[i]! - times[i - 1]! > 60_000) out.gaps++;
      volume = num(r, c.volume, 'volume', false) ?? volume;
      const bid = num(r, c.bid, 'best_bid', false);
      const ask = num(r, c.ask, 'best_ask', false);
      const depth = bid !== undefined && ask !== undefined ? { buy: [{ price: bid, quantity: 1, orders: 1 }], sell: [{ price: ask, quantity: 1, orders: 1 }] } : undefined;
      out.ticks.push({ instrument_token: tokenOf(r), last_price: money(num(r, c.last, 'last_price', true)!), volume, ...(depth ? { depth } : {}), exchange_timestamp: iso(times[i]!), timestamp: iso(times[i]!) });
      out.lines.push(r.line);
    });
    return out;
  }
  // Bar interval: the most common spacing of consecutive bars.
  const spacing = new Map<number, number>();
  for (let i = 1; i < times.length; i++) spacing.set(times[i]! - times[i - 1]!, (spacing.get(times[i]! - times[i - 1]!) ?? 0) + 1);
  const interval = [...spacing].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 60_000;
  let volume = 0;
  rows.forEach((r, i) => {
    if (i > 0 && times[i]! - times[i - 1]! > interval * 1.5) out.gaps++;
    const [open, high, low, close] = (['open', 'high', 'low', 'close'] as const).map((k) => num(r, c[k], k, true)!);
    if (high! < Math.max(open!, close!, low!) || low! > Math.min(open!, close!)) fail(file, r.line, `bar is inconsistent: high ${high} low ${low} open ${open} close ${close}`);
    const path = close! >= open! ? [open!, low!, high!, close!] : [open!, high!, low!, close!];
    const barVolume = num(r, c.volume, 'volume', false) ?? 0;
    const token = tokenOf(r);
    path.forEach((price, k) => {
      const share = k === 3 ? barVolume - 3 * Math.floor(barVolume / 4) : Math.floor(barVolume / 4);
      volume += share;
      const t = times[i]! + (k * interval) / 4;
      out.ticks.push({ instrument_token: token, last_price: money(price), volume, exchange_timestamp: iso(t), timestamp: iso(t) });
      out.lines.push(r.line);
    });
  });
  return out;
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One row of Kite's instruments list; last_price doubles as the server's starting quote. */
export interface KiteInstrument {
  instrument_token: number;
  exchange_token?: number;
  tradingsymbol: string;
  name?: string;
  exchange: string;
  segment: string;
  instrument_type: string;
  tick_size: number;
  lot_size: number;
  expiry?: string;
  strike?: number;
  last_price?: number;
}

/** The project's catalogue, the default instrument list. */
export const PROJECT_INSTRUMENTS = fileURLToPath(new URL('../../config/instruments.csv', import.meta.url));

const KITE_COLUMNS = ['instrument_token', 'exchange_token', 'tradingsymbol', 'name', 'last_price', 'expiry', 'strike', 'tick_size', 'lot_size', 'instrument_type', 'segment', 'exchange'] as const;

/** Reads a catalogue in config/instruments.csv's layout: Kite's columns plus reference_price, '#' comment lines. */
export function loadInstruments(file: string = PROJECT_INSTRUMENTS): KiteInstrument[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  return lines.map((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    const cell = (name: string): string | undefined => {
      const k = header.indexOf(name);
      return k < 0 || cells[k] === '' ? undefined : cells[k];
    };
    const number = (name: string): number | undefined => {
      const v = cell(name);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${file}: data row ${i + 1}: ${name} is not a number: ${v}`);
      return n;
    };
    const required = <T>(name: string, v: T | undefined): T => {
      if (v === undefined) throw new Error(`${file}: data row ${i + 1}: ${name} is missing`);
      return v;
    };
    return {
      instrument_token: required('instrument_token', number('instrument_token')),
      exchange_token: number('exchange_token'),
      tradingsymbol: required('tradingsymbol', cell('tradingsymbol')),
      name: cell('name'),
      exchange: required('exchange', cell('exchange')),
      segment: required('segment', cell('segment')),
      instrument_type: cell('instrument_type') ?? 'EQ',
      tick_size: required('tick_size', number('tick_size')),
      lot_size: required('lot_size', number('lot_size')),
      expiry: cell('expiry'),
      strike: number('strike'),
      last_price: number('reference_price') ?? number('last_price'),
    };
  });
}

/** Indices are market data only: Kite lists them in segment INDICES and takes no orders for them. */
export const isIndex = (i: KiteInstrument): boolean => i.segment === 'INDICES';

/** GET /instruments as Kite serves it: its twelve columns, CRLF lines ending in CRLF; exchange_token = token >> 8 when the row lacks it. */
export function instrumentsCsv(instruments: readonly KiteInstrument[]): string {
  const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const row = (i: KiteInstrument): string => {
    const values: Record<(typeof KITE_COLUMNS)[number], string | number> = {
      instrument_token: i.instrument_token,
      exchange_token: i.exchange_token ?? Math.floor(i.instrument_token / 256),
      tradingsymbol: i.tradingsymbol,
      name: i.name ?? '',
      last_price: i.last_price ?? 0,
      expiry: i.expiry ?? '',
      strike: i.strike ?? 0,
      tick_size: i.tick_size,
      lot_size: i.lot_size,
      instrument_type: i.instrument_type,
      segment: i.segment,
      exchange: i.exchange,
    };
    return KITE_COLUMNS.map((c) => quote(String(values[c]))).join(',');
  };
  return [KITE_COLUMNS.join(','), ...instruments.map(row)].map((line) => `${line}\r\n`).join('');
}

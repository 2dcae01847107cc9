import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { toPaise, type Paise } from '../money.ts';

/**
 * The instrument catalogue: Kite's instruments columns that matter here, plus a reference price the
 * simulator starts from. config/instruments.csv ships the NIFTY 50 constituents, two indices and the
 * NIFTY future of the recorded day; a user adds rows (or exports Kite's /instruments CSV and adds
 * reference_price) to trade or simulate others. Lines starting with # are comments.
 */
export type InstrumentKind = 'equity' | 'future' | 'index' | 'option';

export interface Instrument {
  readonly token: number;
  readonly symbol: string;
  readonly exchange: string;
  readonly segment: string;
  readonly kind: InstrumentKind;
  /** An order can be placed for it: equities and futures (an index is a number, not a security). */
  readonly tradable: boolean;
  /** Last trading day (IST date) of a future; undefined for what does not expire. */
  readonly expiry: string | undefined;
  readonly tick: Paise;
  readonly lotSize: number;
  readonly referencePrice: Paise;
}

const Row = z.object({
  instrument_token: z.coerce.number().int().positive().max(0xffff_ffff),
  tradingsymbol: z.string().min(1),
  exchange: z.string().min(1),
  segment: z.string().min(1),
  instrument_type: z.enum(['EQ', 'FUT', 'CE', 'PE']).optional(),
  expiry: z.union([z.literal(''), z.iso.date()]).optional(),
  tick_size: z.coerce.number().positive(),
  lot_size: z.coerce.number().int().positive(),
  reference_price: z.coerce.number().positive(),
});

/** Kite lists indices with segment INDICES (and instrument_type EQ); futures and options by type. */
function kindOf(segment: string, type: string | undefined): InstrumentKind {
  if (segment === 'INDICES') return 'index';
  if (type === 'FUT') return 'future';
  if (type === 'CE' || type === 'PE') return 'option';
  return 'equity';
}

export class InstrumentCatalogue {
  private readonly byToken = new Map<number, Instrument>();
  private readonly bySymbol = new Map<string, Instrument>();

  constructor(instruments: readonly Instrument[]) {
    for (const i of instruments) {
      this.byToken.set(i.token, i);
      this.bySymbol.set(normalise(i.symbol), i);
    }
  }

  static load(file: string): InstrumentCatalogue {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError([`cannot read the instrument catalogue ${file}: ${(e as Error).message}`]);
    }
    const lines = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const header = lines[0]?.l.split(',').map((h) => h.trim()) ?? [];
    const instruments = lines.slice(1).map(({ l, n }) => {
      const cells = l.split(',');
      const parsed = Row.safeParse(Object.fromEntries(header.map((h, k) => [h, cells[k]?.trim()])));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ConfigError([`${file} line ${n}: ${issue.path.join('.')}: ${issue.message}`]);
      }
      const r = parsed.data;
      const kind = kindOf(r.segment, r.instrument_type);
      return {
        token: r.instrument_token,
        symbol: r.tradingsymbol,
        exchange: r.exchange,
        segment: r.segment,
        kind,
        tradable: kind === 'equity' || kind === 'future',
        expiry: r.expiry || undefined,
        tick: toPaise(r.tick_size),
        lotSize: r.lot_size,
        referencePrice: toPaise(r.reference_price),
      };
    });
    return new InstrumentCatalogue(instruments);
  }

  get(token: number): Instrument | undefined {
    return this.byToken.get(token);
  }

  /** The instrument, or a ConfigError naming the token and where it was asked for. */
  require(token: number, where: string): Instrument {
    const i = this.byToken.get(token);
    if (!i) throw new ConfigError([`${where}: instrument ${token} is not in the instrument catalogue`]);
    return i;
  }

  bySymbolLoose(symbol: string): Instrument | undefined {
    return this.bySymbol.get(normalise(symbol));
  }

  all(): Instrument[] {
    return [...this.byToken.values()];
  }
}

/** 'NIFTY 50', 'nifty50', 'Nifty-50' are one name. */
export function normalise(symbol: string): string {
  return symbol.toLowerCase().replace(/[^a-z0-9&]/g, '');
}

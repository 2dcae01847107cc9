import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { toPaise, type Paise } from '../money.ts';

/**
 * The instrument catalogue: Kite's instruments columns that matter here, plus a reference price the
 * simulator starts from. config/instruments.csv ships NIFTY 50 constituents and two indices; a user adds
 * rows (or exports Kite's /instruments CSV and adds reference_price) to trade or simulate others.
 */
export interface Instrument {
  readonly token: number;
  readonly symbol: string;
  readonly exchange: string;
  readonly segment: string;
  readonly tick: Paise;
  readonly lotSize: number;
  readonly referencePrice: Paise;
}

const Row = z.object({
  instrument_token: z.coerce.number().int().positive(),
  tradingsymbol: z.string().min(1),
  exchange: z.string().min(1),
  segment: z.string().min(1),
  tick_size: z.coerce.number().positive(),
  lot_size: z.coerce.number().int().positive(),
  reference_price: z.coerce.number().positive(),
});

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
    const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = lines[0]?.split(',') ?? [];
    const instruments = lines.slice(1).map((line, i) => {
      const cells = line.split(',');
      const parsed = Row.safeParse(Object.fromEntries(header.map((h, k) => [h.trim(), cells[k]?.trim()])));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ConfigError([`${file} line ${i + 2}: ${issue.path.join('.')}: ${issue.message}`]);
      }
      const r = parsed.data;
      return { token: r.instrument_token, symbol: r.tradingsymbol, exchange: r.exchange, segment: r.segment, tick: toPaise(r.tick_size), lotSize: r.lot_size, referencePrice: toPaise(r.reference_price) };
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

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { STRATEGIES } from './registry.ts';
import type { Strategy } from './sdk.ts';

const Entry = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64'),
  strategy: z.string().min(1),
  /** Instrument tokens, or trading symbols from the catalogue. */
  instruments: z.array(z.union([z.number().int().positive(), z.string().min(1)])).min(1),
  params: z.record(z.string(), z.unknown()),
  enabled: z.boolean().default(true),
  /** Also trade live (needs the global live switch too). */
  live: z.boolean().default(false),
});

const File = z.strictObject({ strategies: z.array(Entry) });

/** A strategy instance, validated: its parameters parsed by the strategy's own schema. */
export interface StrategyInstance {
  readonly id: string;
  readonly strategy: Strategy<unknown, unknown>;
  readonly instruments: readonly number[];
  readonly params: unknown;
  readonly live: boolean;
}

const where = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * Validates a strategies document: every error names the file, the instance and the parameter.
 * Disabled instances are skipped; ids must be unique.
 */
export function parseStrategies(doc: unknown, source: string, catalogue: InstrumentCatalogue): StrategyInstance[] {
  const file = File.safeParse(doc);
  if (!file.success) {
    const issues = file.error.issues.map((i) => `${source}: ${where(i.path) || '(root)'}: ${i.message}`);
    throw new ConfigError([`invalid strategies file:\n${issues.join('\n')}`]);
  }
  const seen = new Set<string>();
  const out: StrategyInstance[] = [];
  for (const e of file.data.strategies) {
    const at = `${source}: strategy '${e.id}'`;
    if (seen.has(e.id)) throw new ConfigError([`${at}: id is used twice`]);
    seen.add(e.id);
    const strategy = STRATEGIES.get(e.strategy);
    if (!strategy) throw new ConfigError([`${at}: unknown strategy '${e.strategy}' (known: ${[...STRATEGIES.keys()].join(', ')})`]);
    const params = strategy.params.safeParse(e.params);
    if (!params.success) {
      const issues = params.error.issues.map((i) => `params.${where(i.path)}: ${i.message}`);
      throw new ConfigError([`${at}: ${issues.join('; ')}`]);
    }
    const instruments = e.instruments.map((i) => {
      const found = typeof i === 'number' ? catalogue.require(i, at) : catalogue.bySymbolLoose(i);
      if (!found) throw new ConfigError([`${at}: instrument '${i}' is not in the instrument catalogue`]);
      if (!found.tradable) throw new ConfigError([`${at}: ${found.symbol} is ${found.kind === 'index' ? 'an index' : `an ${found.kind}`}, which no broker accepts an order for: trade a tradable instrument (for an index, its future)`]);
      return found.token;
    });
    if (e.enabled) out.push({ id: e.id, strategy, instruments: [...new Set(instruments)], params: params.data, live: e.live });
  }
  return out;
}

export function loadStrategies(file: string, catalogue: InstrumentCatalogue): StrategyInstance[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read strategies file ${file}: ${(e as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ConfigError([`strategies file ${file} is not valid YAML: ${(e as Error).message}`]);
  }
  return parseStrategies(doc, file, catalogue);
}

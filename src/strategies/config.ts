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

/** What a strategy is made from, as stored: a type, instrument tokens, parameters and two switches. */
export interface StrategySpec {
  readonly id: string;
  readonly type: string;
  readonly instruments: readonly number[];
  readonly params: Record<string, unknown>;
  readonly active: boolean;
  readonly live: boolean;
}

export const STRATEGY_ID = Entry.shape.id;

/**
 * Checks a strategy against the registry, its own parameter schema and the instrument catalogue;
 * every problem is named after `at`. Instruments may be tokens or trading symbols; the spec holds tokens.
 */
export function checkStrategy(e: { id: string; strategy: string; instruments: readonly (number | string)[]; params: Record<string, unknown>; enabled: boolean; live: boolean }, at: string, catalogue: InstrumentCatalogue): StrategySpec {
  const id = STRATEGY_ID.safeParse(e.id);
  if (!id.success) throw new ConfigError([`${at}: id '${e.id}': ${id.error.issues[0]!.message}`]);
  const strategy = STRATEGIES.get(e.strategy);
  if (!strategy) throw new ConfigError([`${at}: unknown strategy type '${e.strategy}' (known: ${[...STRATEGIES.keys()].join(', ')})`]);
  const params = strategy.params.safeParse(e.params);
  if (!params.success) {
    const issues = params.error.issues.map((i) => `params${where(i.path) ? `.${where(i.path)}` : ''}: ${i.message}`);
    throw new ConfigError([`${at}: ${issues.join('; ')}`]);
  }
  if (e.instruments.length === 0) throw new ConfigError([`${at}: no instruments: name at least one`]);
  const instruments = e.instruments.map((i) => {
    const found = typeof i === 'number' ? catalogue.get(i) : catalogue.bySymbolLoose(i);
    if (!found) throw new ConfigError([`${at}: instrument '${i}' is not in the instrument catalogue`]);
    if (!found.tradable) throw new ConfigError([`${at}: ${found.symbol} is ${found.kind === 'index' ? 'an index' : `an ${found.kind}`}, which no broker accepts an order for: trade a tradable instrument (for an index, its future)`]);
    return found.token;
  });
  // Stored as the schema parsed them (defaults filled in): what runs is what is stored.
  return { id: e.id, type: e.strategy, instruments: [...new Set(instruments)], params: params.data as Record<string, unknown>, active: e.enabled, live: e.live };
}

/** The runnable instance of a checked spec. */
export function instanceOf(spec: StrategySpec): StrategyInstance {
  const strategy = STRATEGIES.get(spec.type);
  if (!strategy) throw new ConfigError([`strategy '${spec.id}': unknown strategy type '${spec.type}'`]);
  return { id: spec.id, strategy, instruments: spec.instruments, params: strategy.params.parse(spec.params), live: spec.live };
}

/**
 * Validates a strategies document: every error names the file, the instance and the parameter; ids
 * must be unique. Every entry is returned, disabled ones too (`active` false): they seed the database.
 */
export function parseStrategySpecs(doc: unknown, source: string, catalogue: InstrumentCatalogue): StrategySpec[] {
  const file = File.safeParse(doc);
  if (!file.success) {
    const issues = file.error.issues.map((i) => `${source}: ${where(i.path) || '(root)'}: ${i.message}`);
    throw new ConfigError([`invalid strategies file:\n${issues.join('\n')}`]);
  }
  const seen = new Set<string>();
  return file.data.strategies.map((e) => {
    const at = `${source}: strategy '${e.id}'`;
    if (seen.has(e.id)) throw new ConfigError([`${at}: id is used twice`]);
    seen.add(e.id);
    return checkStrategy(e, at, catalogue);
  });
}

/** The enabled instances of a strategies document. */
export function parseStrategies(doc: unknown, source: string, catalogue: InstrumentCatalogue): StrategyInstance[] {
  return parseStrategySpecs(doc, source, catalogue).filter((s) => s.active).map(instanceOf);
}

function readStrategiesFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read strategies file ${file}: ${(e as Error).message}`]);
  }
  try {
    return parse(text);
  } catch (e) {
    throw new ConfigError([`strategies file ${file} is not valid YAML: ${(e as Error).message}`]);
  }
}

export function loadStrategySpecs(file: string, catalogue: InstrumentCatalogue): StrategySpec[] {
  return parseStrategySpecs(readStrategiesFile(file), file, catalogue);
}

export function loadStrategies(file: string, catalogue: InstrumentCatalogue): StrategyInstance[] {
  return parseStrategies(readStrategiesFile(file), file, catalogue);
}

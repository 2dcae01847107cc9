import type { AnyEnvelope } from '../contracts/envelope.ts';
import { ConfigError, InputError } from '../errors.ts';
import type { OpenPosition, StrategyActivity, StrategyInput, StrategyRecord, StrategyStore } from '../db/strategy-store.ts';

/** One `alpha-panda strategies` command, as data: what the CLI sends (directly, or to the running process). */
export type AdminRequest =
  | { readonly op: 'list' }
  | { readonly op: 'show'; readonly id: string }
  | { readonly op: 'add'; readonly id: string; readonly input: StrategyInput }
  | { readonly op: 'update'; readonly id: string; readonly input: StrategyInput }
  | { readonly op: 'enable' | 'disable'; readonly id: string }
  | { readonly op: 'live'; readonly id: string; readonly on: boolean }
  | { readonly op: 'remove'; readonly id: string }
  /** `alpha-panda trace`: the ledger's events of a chain (and of its siblings in other namespaces). */
  | { readonly op: 'chain'; readonly id: string };

export interface AdminResult {
  readonly records?: readonly StrategyRecord[];
  readonly record?: StrategyRecord;
  /** What the strategy holds (show, remove). */
  readonly open?: readonly OpenPosition[];
  /** What the ledger holds of it (show). */
  readonly activity?: readonly StrategyActivity[];
  /** What the ledger holds of a chain (chain). */
  readonly events?: readonly AnyEnvelope[];
}

/** Reads a chain's events from the ledger (src/chains/ledger-lookup.ts), for the chain op. */
export type ChainLookup = (id: string) => Promise<readonly AnyEnvelope[]>;

/** Carries out a request against the strategy store; bad input throws an InputError naming the problem, and changes nothing. */
export async function administer(store: StrategyStore, r: AdminRequest, chain?: ChainLookup): Promise<AdminResult> {
  try {
    return await carryOut(store, r, chain);
  } catch (e) {
    throw e instanceof ConfigError ? new InputError(e.issues) : e;
  }
}

async function carryOut(store: StrategyStore, r: AdminRequest, chain: ChainLookup | undefined): Promise<AdminResult> {
  switch (r.op) {
    case 'list':
      return { records: await store.list() };
    case 'show':
      return { record: await store.get(r.id), open: await store.openPositions(r.id), activity: await store.activity(r.id) };
    case 'add':
      return { record: await store.add(r.id, r.input) };
    case 'update':
      return { record: await store.update(r.id, r.input) };
    case 'enable':
    case 'disable':
      return { record: await store.setActive(r.id, r.op === 'enable') };
    case 'live':
      return { record: await store.setLive(r.id, r.on) };
    case 'remove':
      return store.remove(r.id);
    case 'chain':
      if (!chain) throw new InputError(['chain: this process reads no ledger']);
      return { events: await chain(r.id) };
  }
}

import { z } from 'zod';
import type { Transport } from '../bus/transport.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { askRunning } from '../control/control-server.ts';
import type { Database } from '../db/database.ts';
import { InputError } from '../errors.ts';
import { chainEventsOnBus } from './bus-lookup.ts';
import { chainView, type ChainView } from './chain-view.ts';
import { chainEventsInLedger } from './ledger-lookup.ts';

/**
 * Where a chain is read from: the ledger in a database this process holds, the log on a transport
 * (Kafka; or the in-process bus of this very process), or the ledger of the `run` holding an embedded
 * database, through its control socket.
 */
export type ChainSource =
  | { readonly db: Database }
  | { readonly transport: Transport; readonly timeoutMs?: number }
  | { readonly socket: string };

/** A chain found, with where it was read and whether that read was whole. */
export interface FoundChain extends ChainView {
  readonly from: 'ledger' | 'log';
  /** False when the log was not read to the end (a time limit, a topic that could not be read): `unread` says what. */
  readonly complete: boolean;
  readonly unread: readonly string[];
}

export const DEFAULT_SCAN_TIMEOUT_MS = 30_000;

const ChainId = z.uuid();

export const isChainId = (id: string): boolean => ChainId.safeParse(id).success;

/**
 * The chain `id` names (a chain's correlation id, or the strategy signal id the namespaces' chains
 * share), with its siblings in the other namespaces; undefined when the source holds none of it. A
 * malformed id is an InputError.
 */
export async function findChain(source: ChainSource, id: string): Promise<FoundChain | undefined> {
  if (!isChainId(id)) throw new InputError([`'${id}' is not a correlation id (a UUID, e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301)`]);
  let events: readonly AnyEnvelope[];
  let from: FoundChain['from'] = 'ledger';
  let complete = true;
  let unread: readonly string[] = [];
  if ('db' in source) events = await chainEventsInLedger(source.db, id);
  else if ('socket' in source) events = (await askRunning(source.socket, { op: 'chain', id })).events ?? [];
  else {
    const read = await chainEventsOnBus(source.transport, id, { timeoutMs: source.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS });
    ({ events, complete, unread } = read);
    from = 'log';
  }
  const view = chainView(id, events);
  return view ? { ...view, from, complete, unread } : undefined;
}

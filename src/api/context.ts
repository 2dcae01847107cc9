import type { AdminRequest, AdminResult } from '../control/strategy-admin.ts';
import type { LedgerEntry, LedgerQuery } from '../db/ledger-query.ts';
import type { Logger } from '../log.ts';
import type { Login } from './login.ts';
import type { ChainView } from '../chains/chain-view.ts';
import type { RiskCommandName } from '../contracts/events.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import type { Activity, RiskStateView } from './schemas.ts';
import type { HttpSettings } from './settings.ts';
import type { Tokens } from './tokens.ts';

/**
 * What the API needs of the running system, as functions over it (src/app/http.ts makes them from the
 * pipeline, the database and the bus): the API itself holds no trading state.
 */
export interface ApiContext {
  readonly version: string;
  readonly instance: string;
  readonly startedAt: number;
  readonly settings: HttpSettings;
  readonly tokens: Tokens;
  readonly login: Login;
  readonly log: Logger;
  /** The strategy operations the CLI carries out (one implementation); undefined without a database. */
  readonly administer: ((r: AdminRequest) => Promise<AdminResult>) | undefined;
  /** The ledger's entries; undefined without a database. */
  readonly ledger: ((q: LedgerQuery) => Promise<LedgerEntry[]>) | undefined;
  /** A signal's chain from the ledger, or undefined when no chain has that id. */
  readonly chain: (correlationId: string) => Promise<(ChainView & { readonly traceUrl: string | null }) | undefined>;
  /** A 503 problem while the pipeline is still starting (what it waits for); nothing once it runs. */
  readonly whileStarting: () => Error | undefined;
  /** Everything the dashboard shows, now. */
  readonly activity: () => Activity;
  /** Each namespace's risk state; undefined on an instance that does not run the account-wide chain. */
  readonly risk: () => RiskStateView[] | undefined;
  /** Publishes an operator's command to a namespace's risk checker; resolves once it is on the log. */
  readonly command: (namespace: BrokerNamespace, command: RiskCommandName, operator: string, reason: string | undefined) => Promise<{ id: string; topic: string }>;
  readonly namespaces: readonly string[];
  /** An instrument token's trading symbol (the catalogue's). */
  readonly symbolOf: (token: number) => string | undefined;
  readonly readiness: () => Promise<{ ready: boolean; checks: Array<{ what: string; ok: boolean; detail: string }> }>;
  /** Prometheus exposition; undefined: no metrics here. */
  readonly metrics: { readonly contentType: string; text(): Promise<string> } | undefined;
}

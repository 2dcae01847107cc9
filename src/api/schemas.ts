import { z } from 'zod';
import { LEDGER_KINDS } from '../db/ledger-query.ts';

/**
 * The API's requests and answers, one zod schema each: the validator every request passes through and
 * the source of the OpenAPI document (openapi.ts). Money is rupees with at most two decimals, as on the log.
 */
const Namespace = z.enum(['paper', 'zerodha']);
const StrategyId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash and underscore; at most 64');
const Token = z.string().regex(/^\d{1,12}$/, 'an instrument token: digits').transform(Number);
const Limit = z.string().regex(/^\d{1,9}$/, 'a whole number').transform(Number).pipe(z.number().int().min(1).max(1000));
const When = z.iso.datetime({ offset: true });

export const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) });
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(4096) });
export const TokenPair = z.object({ access_token: z.string(), refresh_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int(), user: z.string() });
export type TokenPair = z.infer<typeof TokenPair>;
export const StreamTicket = z.object({ ticket: z.string(), expires_in: z.number().int() });

export const IdParam = z.strictObject({ id: StrategyId });
export const Strategy = z.object({
  id: z.string(),
  type: z.string(),
  instruments: z.array(z.number().int()),
  params: z.record(z.string(), z.unknown()),
  active: z.boolean(),
  live: z.boolean(),
  version: z.number().int(),
  /** The instruments' trading symbols, in the same order. */
  symbols: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  removed: z.boolean(),
});
const Instruments = z.array(z.union([z.number().int().positive(), z.string().min(1).max(40)])).min(1).max(500);
const Params = z.record(z.string(), z.unknown());
export const NewStrategy = z.strictObject({ id: StrategyId, type: z.string().min(1), instruments: Instruments, params: Params.optional(), set: Params.optional(), enabled: z.boolean().optional(), live: z.boolean().optional() });
export const StrategyChange = z
  .strictObject({ type: z.string().min(1).optional(), instruments: Instruments.optional(), params: Params.optional(), set: Params.optional() })
  .refine((c) => c.type !== undefined || c.instruments !== undefined || c.params !== undefined || c.set !== undefined, { message: 'nothing to change: give type, instruments, params or set' });
export const LiveSwitch = z.strictObject({ on: z.boolean() });
const OpenPosition = z.object({ namespace: z.string(), instrument: z.number().int(), quantity: z.number().int() });
export const StrategyOne = z.object({ strategy: Strategy });
export const StrategyList = z.object({ strategies: z.array(Strategy) });
export const StrategyDetail = z.object({
  strategy: Strategy,
  open: z.array(OpenPosition),
  activity: z.array(z.object({ namespace: z.string(), judged: z.number().int(), fills: z.number().int(), firstAt: z.string().nullable(), lastAt: z.string().nullable(), lastFillQuantity: z.number().int().nullable() })),
});
export const StrategyRemoved = z.object({ strategy: Strategy, open: z.array(OpenPosition) });

export const PortfolioQuery = z.strictObject({ namespace: Namespace.optional(), strategy: StrategyId.optional() });
const StrategyPnl = z.object({
  namespace: Namespace,
  strategy: z.string(),
  running: z.boolean(),
  instruments: z.array(z.string()),
  signals: z.number().int(),
  rejected: z.number().int(),
  fills: z.number().int(),
  failed: z.number().int(),
  realized: z.number(),
  unrealized: z.number(),
  fees: z.number(),
  net: z.number(),
  cash: z.number(),
});
export const Position = z.object({ namespace: Namespace, strategy: z.string(), instrument: z.string(), token: z.number().int(), quantity: z.number().int() });
export const Positions = z.object({ positions: z.array(Position) });
export const NamespaceTotals = z.object({ namespace: Namespace, signals: z.number().int(), rejected: z.number().int(), fills: z.number().int(), failed: z.number().int(), net: z.number(), cash: z.number(), state: z.string() });
export const Pnl = z.object({ totals: z.array(NamespaceTotals), strategies: z.array(StrategyPnl), rejections: z.record(z.string(), z.number().int()), ticks: z.number().int() });

export const LedgerFilter = z.strictObject({
  namespace: Namespace.optional(),
  strategy: StrategyId.optional(),
  instrument: Token.optional(),
  since: When.optional(),
  until: When.optional(),
  limit: Limit.optional(),
});
export const OrderFilter = LedgerFilter.extend({ status: z.enum(['placed', 'filled', 'failed']).optional() });
export const SignalFilter = LedgerFilter.extend({ verdict: z.enum(['validated', 'rejected']).optional() });
export const LedgerEntry = z.object({
  kind: z.enum(LEDGER_KINDS),
  namespace: z.string(),
  strategy_id: z.string(),
  instrument_token: z.number().int(),
  side: z.enum(['BUY', 'SELL']),
  quantity: z.number().int(),
  price: z.number(),
  fill_price: z.number().nullable(),
  fees: z.number().nullable(),
  order_id: z.string().nullable(),
  fill_id: z.string().nullable(),
  reason_code: z.string().nullable(),
  signal_kind: z.string(),
  correlation_id: z.string(),
  event_id: z.string(),
  ts: z.string(),
});
export const Entries = z.object({ entries: z.array(LedgerEntry) });

export const ChainParam = z.strictObject({ correlationId: z.uuid() });
export const ChainHop = z.object({
  stage: z.enum(['signal', 'verdict', 'order', 'fill', 'failure']),
  type: z.string(),
  topic: z.string(),
  eventId: z.string(),
  /** Null for a signal known only from its verdict (the ledger keeps no signal envelope). */
  ts: z.string().nullable(),
  sincePreviousMs: z.number().nullable(),
  sinceSignalMs: z.number().nullable(),
  detail: z.string(),
});
export const NamespaceChain = z.object({
  namespace: Namespace,
  correlationId: z.string(),
  hops: z.array(ChainHop),
  outcome: z.enum(['signalled', 'rejected', 'validated', 'placed', 'partly_filled', 'filled', 'failed']),
  decision: z.object({ decision: z.enum(['validated', 'rejected']), reasonCode: z.string().nullable(), reason: z.string().nullable() }).nullable(),
  filled: z.number().int(),
  totalMs: z.number().nullable(),
});
/** A strategy signal's chains, one per namespace it reached (paper beside live), and where to see its trace. */
export const Chain = z.object({
  asked: z.string(),
  signalId: z.string().nullable(),
  strategyId: z.string().nullable(),
  instrumentToken: z.number().int().nullable(),
  side: z.enum(['BUY', 'SELL']).nullable(),
  quantity: z.number().int().nullable(),
  namespaces: z.array(NamespaceChain),
  /** The tracing backend's search for the chain's spans (http.traceUiUrl), or null. */
  traceUrl: z.string().nullable(),
});

export const NamespaceParam = z.strictObject({ namespace: Namespace });
export const RiskCommandParam = z.strictObject({ namespace: Namespace, command: z.enum(['halt', 'reduce', 'resume']) });
export const RiskCommandBody = z.strictObject({ reason: z.string().max(500).optional() });
export const RiskCommandAccepted = z.object({ id: z.string(), namespace: Namespace, command: z.enum(['HALT', 'REDUCE', 'RESUME']), topic: z.string() });
export const RiskState = z.object({
  namespace: Namespace,
  state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']),
  trading_day: z.string().nullable(),
  loss_today: z.number(),
  daily_loss_limit: z.number(),
  on_daily_loss: z.string(),
  orders_per_day: z.number().int(),
  /** The last state change: from the log since this process started, else (timestamp null) from the saved risk day. */
  last_change: z.object({ state: z.string(), cause: z.string(), timestamp: z.string().nullable() }).nullable(),
  /** The last operator's command this process saw: who gave it and why. */
  last_command: z.object({ command: z.string(), operator: z.string(), reason: z.string().nullable(), timestamp: z.string() }).nullable(),
});
export const Risk = z.object({ namespaces: z.array(RiskState) });

export const Check = z.object({ what: z.string(), ok: z.boolean(), detail: z.string() });
export const Readiness = z.object({ ready: z.boolean(), checks: z.array(Check) });
export const Liveness = z.object({ status: z.literal('ok'), version: z.string(), instance: z.string(), uptime_s: z.number() });

export const ActivityEvent = z.object({ id: z.string(), type: z.string(), namespace: z.string(), strategy_id: z.string().nullable(), instrument_token: z.number().nullable(), instrument: z.string().nullable(), side: z.string().nullable(), quantity: z.number().nullable(), price: z.number().nullable(), reason_code: z.string().nullable(), correlation_id: z.string(), ts: z.string() });
export const Activity = z.object({
  at: z.string(),
  phase: z.string(),
  ticks: z.number().int(),
  totals: z.array(NamespaceTotals),
  strategies: z.array(StrategyPnl),
  positions: z.array(Position),
  rejections: z.record(z.string(), z.record(z.string(), z.number().int())),
  recent: z.array(ActivityEvent),
  risk: z.array(RiskState),
  trace_ui: z.string().nullable(),
});
export type Activity = z.infer<typeof Activity>;
export type ActivityEvent = z.infer<typeof ActivityEvent>;
export type RiskStateView = z.infer<typeof RiskState>;

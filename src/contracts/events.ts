import { z } from 'zod';
import { ChainDivergence } from './divergence.ts';
import { ExecutionMode, FailureCode, InstrumentToken, Money, Price, Quantity, RejectionCode, SignalType, Timestamp } from './values.ts';

export { ExecutionMode, FailureCode, InstrumentToken, Money, Price, Quantity, RejectionCode, SignalType, Timestamp };

/**
 * Event payloads. One zod schema per event type and version is the type, the validator and the
 * documentation. Prices and money travel as rupees with at most two decimals (whole paise); position
 * maths converts them to integer paise.
 */
const DepthLevel = z.object({ price: z.number().nonnegative(), quantity: z.number().int().nonnegative(), orders: z.number().int().nonnegative() });

export const MarketTick = z.object({
  instrument_token: InstrumentToken,
  last_price: Price,
  last_quantity: z.number().int().nonnegative().optional(),
  average_price: z.number().nonnegative().optional(),
  volume: z.number().int().nonnegative(),
  buy_quantity: z.number().int().nonnegative().optional(),
  sell_quantity: z.number().int().nonnegative().optional(),
  ohlc: z.object({ open: Price, high: Price, low: Price, close: Price }).optional(),
  depth: z.object({ buy: z.array(DepthLevel).max(5), sell: z.array(DepthLevel).max(5) }).optional(),
  exchange_timestamp: Timestamp,
  timestamp: Timestamp,
  /** Made by the simulator: no exchange session applies (market hours, square-off time). */
  simulated: z.literal(true).optional(),
});

/** The market a signal was priced on: the price cache's view of its instrument at the deciding tick. */
export const SignalQuote = z.object({
  last_price: Price,
  best_bid: Price.optional(),
  best_ask: Price.optional(),
  exchange_timestamp: Timestamp,
  /** Priced on a simulated tick: the rules of the exchange session do not apply. */
  simulated: z.literal(true).optional(),
});

/**
 * Who asked for a signal: the strategy itself, the system closing an intraday position at the
 * square-off time, or the system flattening an account that passed its daily loss limit.
 */
export const SignalKind = z.enum(['strategy', 'square_off', 'flatten']);

export const TradingSignal = z.object({
  signal_id: z.uuid(),
  strategy_id: z.string().min(1),
  instrument_token: InstrumentToken,
  signal_type: SignalType,
  quantity: Quantity,
  price: Price,
  timestamp: Timestamp,
  reason: z.string().optional(),
  quote: SignalQuote.optional(),
  /** Absent means 'strategy'. */
  kind: SignalKind.optional(),
  /** The strategy is long or flat: a sell below zero is refused (LONG_ONLY). */
  long_only: z.literal(true).optional(),
});

export const RiskCheckName = z.enum([
  'max_quantity',
  'max_notional',
  'max_position_instrument',
  'max_position_strategy',
  'max_gross_exposure',
  'rate_limit',
  'daily_loss',
  'market_hours',
  'stale_price',
  'duplicate_signal',
  'stale_day',
  'tradable',
  'lot_size',
  'square_off',
  'buying_power',
  'long_only',
]);

export const ValidatedSignal = z.object({
  original_signal: TradingSignal,
  validated_quantity: Quantity,
  validated_price: Price,
  risk_checks: z.array(RiskCheckName),
  timestamp: Timestamp,
});

export const RejectedSignal = z.object({
  original_signal: TradingSignal,
  reason_code: RejectionCode,
  reason: z.string().min(1),
  timestamp: Timestamp,
});

const OrderBase = {
  /** The signal the order is for (absent in events written before it was carried). */
  signal_id: z.uuid().optional(),
  strategy_id: z.string().min(1),
  instrument_token: InstrumentToken,
  signal_type: SignalType,
  quantity: Quantity,
  order_id: z.string().min(1),
  execution_mode: ExecutionMode,
  timestamp: Timestamp,
};

export const OrderPlaced = z.object({ ...OrderBase, price: Price, tag: z.string().max(20).optional() });

const FeeBreakdownV1 = z.object({ brokerage: Money, stt: Money, exchange: Money, gst: Money, sebi: Money, stamp: Money });

/** Each charge of one fill, rounded on its own, as the contract note shows them. */
export const FeeBreakdown = z.object({
  brokerage: Money,
  stt: Money,
  /** The exchange's transaction charge. */
  transaction: Money,
  /** NSE's Investor Protection Fund Trust charge (shown under transaction charges by Zerodha). */
  ipft: Money,
  sebi: Money,
  gst: Money,
  stamp: Money,
});

const OrderFilledV1 = z.object({ ...OrderBase, fill_price: Price, fees: Money, fee_breakdown: FeeBreakdownV1.optional() });

/**
 * v2: a fill has its own id (one order may fill in parts: broker order id + fill id is its identity,
 * what makes a redelivered fill a no-op), and names the fee schedule it was charged by.
 */
export const OrderFilled = z.object({
  ...OrderBase,
  fill_id: z.string().min(1),
  fill_price: Price,
  fees: Money,
  fee_breakdown: FeeBreakdown,
  fee_schedule: z.string().min(1),
});

export const OrderFailed = z.object({
  ...OrderBase,
  order_id: z.string().min(1).nullable(),
  price: Price,
  reason_code: FailureCode,
  error_message: z.string().min(1),
});

export const PositionSnapshot = z.object({
  instrument_token: InstrumentToken,
  quantity: z.number().int(),
  average_price: z.number().nonnegative(),
  last_price: z.number().nonnegative().nullable(),
  realized_pnl: Money,
  unrealized_pnl: Money,
});

export const PnlSnapshot = z.object({
  strategy_id: z.string().min(1).nullable(),
  positions: z.array(PositionSnapshot),
  realized_pnl: Money,
  unrealized_pnl: Money,
  fees: Money,
  cash: Money,
  timestamp: Timestamp,
});

export const TradingStateName = z.enum(['ACTIVE', 'REDUCING', 'HALTED']);
/** Why a state changed: the loss limit (lapses at the next day), a new day, or an operator (holds until an operator lifts it). */
export const TradingStateCause = z.enum(['DAILY_LOSS', 'NEW_DAY', 'OPERATOR']);

/**
 * A namespace's trading state changed: published by its risk checker, so strategies stop sending what
 * would only be rejected. `flatten` asks every strategy to close what it holds now.
 */
export const TradingStateChanged = z.object({
  state: TradingStateName,
  previous: TradingStateName,
  cause: TradingStateCause,
  flatten: z.boolean(),
  trading_day: z.iso.date(),
  loss: Money,
  limit: Money,
  timestamp: Timestamp,
});

/**
 * An operator's command to a namespace's risk checker (from the API or the dashboard): HALT stops every
 * order, REDUCE lets only orders that shrink a position pass, RESUME returns to ACTIVE. On the log as it
 * was given; the risk checker answers with the `trading_state` it caused (cause OPERATOR).
 */
export const RiskCommandName = z.enum(['HALT', 'REDUCE', 'RESUME']);
export const RiskCommand = z.object({
  command: RiskCommandName,
  operator: z.string().min(1).max(100),
  reason: z.string().max(500).optional(),
  timestamp: Timestamp,
});

/**
 * A strategy's configuration changed (added, updated, enabled, disabled, live switched, removed): written
 * with the change in one database transaction (the outbox) and published keyed by strategy id, so the
 * instance that owns the strategy applies it. `config` is the whole row at `version` (null: removed);
 * an instance applies a change only when its version is newer than what it runs.
 */
export const StrategyChanged = z.object({
  strategy_id: z.string().min(1),
  version: z.number().int().positive(),
  change: z.enum(['added', 'updated', 'enabled', 'disabled', 'live_on', 'live_off', 'removed']),
  config: z
    .object({
      type: z.string().min(1),
      instruments: z.array(InstrumentToken).min(1),
      params: z.record(z.string(), z.unknown()),
      active: z.boolean(),
      live: z.boolean(),
    })
    .nullable(),
  timestamp: Timestamp,
});

/** One difference reconciliation found between Kite's books and the ledger, and what was done about it. */
export const ReconciliationFinding = z.discriminatedUnion('kind', [
  /** An order without this system's tag (placed on Kite's site or by another app): reported, not adopted. */
  z.object({ kind: z.literal('outside_order'), order_id: z.string(), tradingsymbol: z.string(), transaction_type: SignalType, quantity: z.number().int(), filled: z.number().int(), status: z.string() }),
  /** An order with this system's tag that the ledger never recorded (the process stopped mid-placement): adopted when its validation is executed again, never placed twice. */
  z.object({ kind: z.literal('unrecorded_order'), order_id: z.string(), tag: z.string(), awaiting_execution: z.boolean() }),
  /** Trades of a recorded order that the ledger lacks (filled while the system was down): applied once, now. */
  z.object({ kind: z.literal('missing_fills'), order_id: z.string(), trades: z.number().int().positive(), quantity: z.number().int().positive() }),
  /** The ledger says the order of this signal failed, yet Kite has it. */
  z.object({ kind: z.literal('failed_but_placed'), order_id: z.string(), tag: z.string() }),
  /** Kite's net position and the ledger's (with the missing fills and outside orders counted) differ. */
  z.object({ kind: z.literal('position_mismatch'), instrument_token: InstrumentToken, tradingsymbol: z.string(), kite: z.number().int(), ledger: z.number().int() }),
]);

/** What start-up (or a login) found comparing the day's orders, trades and positions at Kite with the ledger. */
export const BrokerReconciliation = z.object({
  orders: z.number().int().nonnegative(),
  trades: z.number().int().nonnegative(),
  findings: z.array(ReconciliationFinding),
  timestamp: Timestamp,
});

/** Event type -> version -> payload schema. A new version is a new entry; old ones stay decodable. */
export const EVENT_SCHEMAS = {
  market_tick: { 1: MarketTick },
  trading_signal: { 1: TradingSignal },
  validated_signal: { 1: ValidatedSignal },
  rejected_signal: { 1: RejectedSignal },
  order_placed: { 1: OrderPlaced },
  order_filled: { 1: OrderFilledV1, 2: OrderFilled },
  order_failed: { 1: OrderFailed },
  pnl_snapshot: { 1: PnlSnapshot },
  trading_state: { 1: TradingStateChanged },
  risk_command: { 1: RiskCommand },
  strategy_changed: { 1: StrategyChanged },
  broker_reconciliation: { 1: BrokerReconciliation },
  chain_divergence: { 1: ChainDivergence },
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export const CURRENT_VERSION: { readonly [K in EventType]: number } = {
  market_tick: 1,
  trading_signal: 1,
  validated_signal: 1,
  rejected_signal: 1,
  order_placed: 1,
  order_filled: 2,
  order_failed: 1,
  pnl_snapshot: 1,
  trading_state: 1,
  risk_command: 1,
  strategy_changed: 1,
  broker_reconciliation: 1,
  chain_divergence: 1,
};

/**
 * Upcasters: an older version's payload as the current one, so consumers see one shape. A v1 fill had
 * one fill per order and no schedule name.
 */
export const UPCAST: { readonly [K in EventType]?: Record<number, (data: never) => unknown> } = {
  order_filled: {
    1: (d: z.infer<typeof OrderFilledV1>): OrderFilled => {
      const b = d.fee_breakdown;
      return {
        ...d,
        fill_id: '1',
        fee_breakdown: { brokerage: b?.brokerage ?? 0, stt: b?.stt ?? 0, transaction: b?.exchange ?? 0, ipft: 0, sebi: b?.sebi ?? 0, gst: b?.gst ?? 0, stamp: b?.stamp ?? 0 },
        fee_schedule: 'v1',
      };
    },
  },
};

export type MarketTick = z.infer<typeof MarketTick>;
export type TradingSignal = z.infer<typeof TradingSignal>;
export type ValidatedSignal = z.infer<typeof ValidatedSignal>;
export type RejectedSignal = z.infer<typeof RejectedSignal>;
export type RejectionCode = z.infer<typeof RejectionCode>;
export type OrderPlaced = z.infer<typeof OrderPlaced>;
export type OrderFilled = z.infer<typeof OrderFilled>;
export type OrderFailed = z.infer<typeof OrderFailed>;
export type FailureCode = z.infer<typeof FailureCode>;
export type PnlSnapshot = z.infer<typeof PnlSnapshot>;
export type RiskCheckName = z.infer<typeof RiskCheckName>;
export type SignalKind = z.infer<typeof SignalKind>;
export type FeeBreakdown = z.infer<typeof FeeBreakdown>;
export type TradingStateName = z.infer<typeof TradingStateName>;
export type TradingStateCause = z.infer<typeof TradingStateCause>;
export type TradingStateChanged = z.infer<typeof TradingStateChanged>;
export type StrategyChanged = z.infer<typeof StrategyChanged>;
export type RiskCommand = z.infer<typeof RiskCommand>;
export type RiskCommandName = z.infer<typeof RiskCommandName>;
export type ReconciliationFinding = z.infer<typeof ReconciliationFinding>;
export type BrokerReconciliation = z.infer<typeof BrokerReconciliation>;

export interface EventData {
  market_tick: MarketTick;
  trading_signal: TradingSignal;
  validated_signal: ValidatedSignal;
  rejected_signal: RejectedSignal;
  order_placed: OrderPlaced;
  order_filled: OrderFilled;
  order_failed: OrderFailed;
  pnl_snapshot: PnlSnapshot;
  trading_state: TradingStateChanged;
  risk_command: RiskCommand;
  strategy_changed: StrategyChanged;
  broker_reconciliation: BrokerReconciliation;
  chain_divergence: ChainDivergence;
}

import type { StrategyBehaviour } from '../../actors/strategy.ts';
import type { InRecord, Transport } from '../bus/transport.ts';
import { decode } from '../contracts/codec.ts';
import type { AnyEnvelope, Envelope } from '../contracts/envelope.ts';
import { MARKET_TICKS } from '../contracts/topics.ts';
import type { StrategyLedger } from '../strategies/ledger.ts';

export interface Warmed {
  /** The strategy's state after the replayed ticks. */
  readonly state: unknown;
  /**
   * Ticks no instance handled for it that the live consumer has passed already (routed here before the
   * strategy was, or while its last owner was gone): to be handled now, signals on, in order.
   */
  readonly catchUp: readonly Envelope<'market_tick'>[];
  /** Per partition, the first live tick to handle: those before it were replayed or caught up. */
  readonly from: Map<number, bigint>;
}

export interface WarmUpResult {
  readonly warmed: Map<StrategyBehaviour, Warmed>;
  readonly ticks: number;
  readonly ms: number;
}

/** Where this process's live tick consumer is, per partition of market.ticks. */
export interface LivePosition {
  /** Where it began in this process (its committed offset; without one, the end of the log at start). */
  readonly start: ReadonlyMap<number, bigint>;
  /** The next tick it will hand out. */
  readonly until: ReadonlyMap<number, bigint>;
}

type Tick = Envelope<'market_tick'>;

/** One strategy's warm-up in progress. */
interface Progress {
  readonly behaviour: StrategyBehaviour;
  state: unknown;
  readonly ledger: StrategyLedger;
  readonly from: Map<number, bigint>;
  /** Per partition, its ticks since its last signalled one (from where the live consumer began). */
  readonly pending: Map<number, Array<{ offset: bigint; tick: Tick }>>;
}

function tickOf(r: InRecord): Tick | undefined {
  const event = (r.event as AnyEnvelope | undefined) ?? (() => {
    const d = decode(r.value, MARKET_TICKS);
    return d.ok ? d.event : undefined;
  })();
  return event?.type === 'market_tick' ? event : undefined;
}

/**
 * Replays market.ticks from `sinceMs` through the strategies' own tick handler with signals off, so a
 * strategy started on this instance (a restart, or a move from an instance that died) decides from the
 * same indicators as if it had never stopped. Nothing is published.
 *
 * Per strategy and partition, the ticks are split three ways:
 * - replayed (signals off): those before where the live consumer began in this process (a previous
 *   process, or a deployment before this one, had them), and every tick up to the last one the
 *   strategy's signals on the log were made on (its last owner got that far: its signals are out);
 * - caught up (signals on, once the strategy is released): the rest of those the live consumer has
 *   already passed. No owner sent anything on them, so handling them again makes what the last owner made
 *   of them (nothing) if it had them, and what it would have made if it never did;
 * - live: the rest, as the consumer hands them over (those before `from` are skipped).
 * A tick that does not decode is skipped here: the live consumer dead-letters it.
 */
export async function warmUp(transport: Transport, strategies: readonly StrategyBehaviour[], live: LivePosition, sinceMs: number, ledgerOf: (id: string) => StrategyLedger, signal?: AbortSignal): Promise<WarmUpResult> {
  const started = Date.now();
  if (strategies.length === 0) return { warmed: new Map(), ticks: 0, ms: 0 };
  const ends = await transport.endOffsets(MARKET_TICKS);
  const start = (p: number) => live.start.get(p) ?? 0n;
  const until = (p: number) => live.until.get(p) ?? start(p);
  const partitions = new Set([...ends.keys(), ...live.until.keys(), ...live.start.keys()]);
  const progress: Progress[] = [];
  const byToken = new Map<number, Progress[]>();
  for (const s of strategies) {
    const g: Progress = { behaviour: s, state: s.instance.strategy.init(s.instance.params, s.instance.instruments), ledger: ledgerOf(s.instance.id), from: new Map([...partitions].map((p) => [p, until(p)])), pending: new Map() };
    progress.push(g);
    for (const t of s.instance.instruments) {
      const list = byToken.get(t);
      if (list) list.push(g);
      else byToken.set(t, [g]);
    }
  }
  let ticks = 0;
  const replay = (g: Progress, tick: Tick) => {
    g.state = g.behaviour.warm(g.state, tick.data);
    ticks++;
  };
  const scanTo = new Map<number, bigint>();
  for (const [p, end] of ends) scanTo.set(p, end > until(p) ? end : until(p));
  await transport.scan(
    MARKET_TICKS,
    { sinceMs, until: scanTo },
    (records) => {
      for (const r of records) {
        // The key is the instrument token: ticks of instruments no strategy here trades are not decoded.
        if (r.key !== null && !byToken.has(Number(r.key))) continue;
        const tick = tickOf(r);
        const list = tick && byToken.get(tick.data.instrument_token);
        if (!list) continue;
        const offset = BigInt(r.offset);
        for (const g of list) {
          if (offset < start(r.partition)) {
            replay(g, tick);
            continue;
          }
          let pending = g.pending.get(r.partition);
          if (!pending) g.pending.set(r.partition, (pending = []));
          pending.push({ offset, tick });
          if (!g.ledger.signalledOn(tick.id)) continue;
          for (const x of pending) replay(g, x.tick);
          pending.length = 0;
          if (offset + 1n > (g.from.get(r.partition) ?? 0n)) g.from.set(r.partition, offset + 1n);
        }
      }
    },
    signal,
  );
  const warmed = new Map<StrategyBehaviour, Warmed>();
  for (const g of progress) {
    const catchUp: Tick[] = [];
    for (const [p, pending] of g.pending) for (const x of pending) if (x.offset < until(p)) catchUp.push(x.tick);
    warmed.set(g.behaviour, { state: g.state, catchUp, from: g.from });
  }
  return { warmed, ticks, ms: Date.now() - started };
}

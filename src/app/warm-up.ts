import type { StrategyBehaviour } from '../../actors/strategy.ts';
import type { InRecord, Transport } from '../bus/transport.ts';
import { decode } from '../contracts/codec.ts';
import type { AnyEnvelope, Envelope } from '../contracts/envelope.ts';
import { MARKET_TICKS } from '../contracts/topics.ts';
import type { StrategyLedger } from '../strategies/ledger.ts';

export interface WarmUpResult {
  /** Each strategy's state after the replayed ticks, and per partition the first tick it is to handle live. */
  readonly warmed: Map<StrategyBehaviour, { readonly state: unknown; readonly from: Map<number, bigint> }>;
  readonly ticks: number;
  readonly ms: number;
}

type Tick = Envelope<'market_tick'>;

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
 * Where the replay ends, per strategy and partition: at `until` (where the live consumer starts, or had
 * got to), or past it, just after the last tick the strategy's signals on the log were made on (the
 * stopped instance got that far: its signals are out, and handling those ticks again would decide from
 * a ledger that already holds them). The live ticks before that end are then skipped by the strategy
 * (`from`). A tick that does not decode is skipped here: the live consumer dead-letters it.
 */
export async function warmUp(transport: Transport, strategies: readonly StrategyBehaviour[], until: ReadonlyMap<number, bigint>, sinceMs: number, ledgerOf: (id: string) => StrategyLedger, signal?: AbortSignal): Promise<WarmUpResult> {
  const started = Date.now();
  const states = new Map<StrategyBehaviour, unknown>();
  const byToken = new Map<number, StrategyBehaviour[]>();
  for (const s of strategies) {
    states.set(s, s.instance.strategy.init(s.instance.params, s.instance.instruments));
    for (const t of s.instance.instruments) {
      const list = byToken.get(t);
      if (list) list.push(s);
      else byToken.set(t, [s]);
    }
  }
  const apply = (tick: Tick) => {
    for (const s of byToken.get(tick.data.instrument_token) ?? []) states.set(s, s.warm(states.get(s), tick.data));
  };
  // Ticks past `until`, per partition in order: applied to a strategy only up to its last signalled one.
  const beyond = new Map<number, Array<{ offset: bigint; tick: Tick }>>();
  let ticks = 0;
  if (strategies.length > 0) {
    const ends = await transport.endOffsets(MARKET_TICKS);
    const scanTo = new Map<number, bigint>();
    for (const [p, end] of ends) scanTo.set(p, end > (until.get(p) ?? 0n) ? end : (until.get(p) ?? 0n));
    await transport.scan(
      MARKET_TICKS,
      { sinceMs, until: scanTo },
      (records) => {
        for (const r of records) {
          // The key is the instrument token: ticks of instruments no strategy here trades are not decoded.
          if (r.key !== null && !byToken.has(Number(r.key))) continue;
          const tick = tickOf(r);
          if (!tick || !byToken.has(tick.data.instrument_token)) continue;
          const offset = BigInt(r.offset);
          if (offset < (until.get(r.partition) ?? 0n)) {
            ticks++;
            apply(tick);
          } else {
            const list = beyond.get(r.partition);
            if (list) list.push({ offset, tick });
            else beyond.set(r.partition, [{ offset, tick }]);
          }
        }
      },
      signal,
    );
  }
  const warmed = new Map<StrategyBehaviour, { state: unknown; from: Map<number, bigint> }>();
  for (const s of strategies) {
    const ledger = ledgerOf(s.instance.id);
    const own = new Set(s.instance.instruments);
    const from = new Map(until);
    let state = states.get(s);
    for (const [p, list] of beyond) {
      const mine = list.filter((x) => own.has(x.tick.data.instrument_token));
      let last = -1;
      mine.forEach((x, i) => {
        if (ledger.signalledOn(x.tick.id)) last = i;
      });
      for (let i = 0; i <= last; i++) state = s.warm(state, mine[i]!.tick.data);
      if (last >= 0) from.set(p, mine[last]!.offset + 1n);
    }
    warmed.set(s, { state, from });
  }
  return { warmed, ticks, ms: Date.now() - started };
}

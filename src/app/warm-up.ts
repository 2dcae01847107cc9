import type { StrategyBehaviour } from '../../actors/strategy.ts';
import type { Transport } from '../bus/transport.ts';
import { decode } from '../contracts/codec.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { MARKET_TICKS } from '../contracts/topics.ts';

export interface WarmUpResult {
  /** Each strategy's state after the replayed ticks. */
  readonly states: Map<StrategyBehaviour, unknown>;
  readonly ticks: number;
  readonly ms: number;
}

/**
 * Replays market.ticks from `sinceMs` up to `until` (exclusive, per partition) through the strategies'
 * own tick handler with signals off, so a strategy started on this instance (a restart, or a move from
 * an instance that died) decides from the same indicators as if it had never stopped. Nothing is
 * published: those ticks' signals were the stopped instance's to send, and went out (or were
 * superseded) before. A tick that does not decode is skipped here: the live consumer dead-letters it.
 */
export async function warmUp(transport: Transport, strategies: readonly StrategyBehaviour[], until: ReadonlyMap<number, bigint>, sinceMs: number, signal?: AbortSignal): Promise<WarmUpResult> {
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
  let ticks = 0;
  if (strategies.length > 0 && until.size > 0) {
    await transport.scan(
      MARKET_TICKS,
      { sinceMs, until },
      (records) => {
        for (const r of records) {
          // The key is the instrument token: ticks of instruments no strategy here trades are not decoded.
          if (r.key !== null && !byToken.has(Number(r.key))) continue;
          const event = (r.event as AnyEnvelope | undefined) ?? (() => {
            const d = decode(r.value, MARKET_TICKS);
            return d.ok ? d.event : undefined;
          })();
          if (event?.type !== 'market_tick') continue;
          const list = byToken.get(event.data.instrument_token);
          if (!list) continue;
          ticks++;
          for (const s of list) states.set(s, s.warm(states.get(s), event.data));
        }
      },
      signal,
    );
  }
  return { states, ticks, ms: Date.now() - started };
}

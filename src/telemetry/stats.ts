import type { FailureCode, RejectionCode } from '../contracts/events.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';

/** What a strategy's actor did here. */
export interface StrategyCounts {
  /** Ticks the strategy's actor handled here (warm-up replays not counted). */
  ticks: number;
  signals: number;
}

/** How one namespace's chain ended the signals it was sent (on the instance running the chain). */
export interface OutcomeCounts {
  validated: number;
  rejected: number;
  fills: number;
  failed: number;
}

const noOutcomes = (): OutcomeCounts => ({ validated: 0, rejected: 0, fills: 0, failed: 0 });

/** Counters the actors bump and the status line reads (this process only). */
export class PipelineStats {
  signals = 0;
  validated = 0;
  rejected = 0;
  fills = 0;
  failed = 0;
  /** Strategy signals not sent because their account's trading state would refuse them. */
  suppressed = 0;
  readonly rejections = new Map<RejectionCode, number>();
  /** Signals sent to each namespace (one signal to several namespaces counts in each). */
  readonly sentTo = new Map<BrokerNamespace, number>();
  readonly rejectionsBy = new Map<BrokerNamespace, Map<RejectionCode, number>>();
  readonly failuresBy = new Map<BrokerNamespace, Map<FailureCode, number>>();
  readonly byStrategy = new Map<string, StrategyCounts>();
  private readonly outcomes = new Map<string, OutcomeCounts>();

  strategy(id: string): StrategyCounts {
    let c = this.byStrategy.get(id);
    if (!c) this.byStrategy.set(id, (c = { ticks: 0, signals: 0 }));
    return c;
  }

  /** A namespace's outcomes, of one strategy or (no id) of all. */
  outcomesOf(ns: BrokerNamespace, strategyId?: string): OutcomeCounts {
    const key = `${ns}|${strategyId ?? ''}`;
    let c = this.outcomes.get(key);
    if (!c) this.outcomes.set(key, (c = noOutcomes()));
    return c;
  }

  /** Counts `n` outcomes of a kind: in this process's totals, the namespace's, and the strategy's there. */
  count(ns: BrokerNamespace, strategyId: string, kind: keyof OutcomeCounts, n = 1): void {
    this[kind] += n;
    this.outcomesOf(ns)[kind] += n;
    this.outcomesOf(ns, strategyId)[kind] += n;
  }

  /** A signal was sent to `ns`. */
  sent(ns: BrokerNamespace): void {
    this.sentTo.set(ns, (this.sentTo.get(ns) ?? 0) + 1);
  }

  reject(ns: BrokerNamespace, strategyId: string, code: RejectionCode): void {
    this.count(ns, strategyId, 'rejected');
    this.rejections.set(code, (this.rejections.get(code) ?? 0) + 1);
    bump(this.rejectionsBy, ns, code);
  }

  /** An order failed with `code`. */
  fail(ns: BrokerNamespace, strategyId: string, code: FailureCode): void {
    this.count(ns, strategyId, 'failed');
    bump(this.failuresBy, ns, code);
  }
}

function bump<C>(m: Map<BrokerNamespace, Map<C, number>>, ns: BrokerNamespace, code: C): void {
  let byCode = m.get(ns);
  if (!byCode) m.set(ns, (byCode = new Map()));
  byCode.set(code, (byCode.get(code) ?? 0) + 1);
}

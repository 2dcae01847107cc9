import type { RejectionCode } from '../contracts/events.ts';

export interface StrategyCounts {
  /** Ticks the strategy's actor handled here (warm-up replays not counted). */
  ticks: number;
  signals: number;
  rejected: number;
  fills: number;
  failed: number;
}

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
  readonly byStrategy = new Map<string, StrategyCounts>();

  strategy(id: string): StrategyCounts {
    let c = this.byStrategy.get(id);
    if (!c) this.byStrategy.set(id, (c = { ticks: 0, signals: 0, rejected: 0, fills: 0, failed: 0 }));
    return c;
  }

  reject(strategyId: string, code: RejectionCode): void {
    this.rejected++;
    this.strategy(strategyId).rejected++;
    this.rejections.set(code, (this.rejections.get(code) ?? 0) + 1);
  }
}

import type { BrokerHealth } from '../bus/health.ts';
import { BrokerUnreachable } from '../errors.ts';

export interface StopOptions {
  /** Ends the run from outside: Ctrl-C, SIGTERM, a test. */
  readonly signal?: AbortSignal;
  /** Stop by itself after this many seconds. */
  readonly durationS?: number;
  /** Told once, when stopping begins, whatever the reason: the CLI's shutdown deadline starts then. */
  readonly onStopping?: (reason: string) => void;
}

/**
 * When a command stops, and why: an outside signal, its duration, a fatal error, or a broker that has
 * been unreachable for too long. One abort signal every phase of the command waits on, so a stop is
 * seen at once wherever the command is (connecting, joining groups, trading, retrying a dead broker).
 */
export class StopControl {
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  reason = '';
  fatal: Error | undefined;
  private readonly onStopping: ((reason: string) => void) | undefined;

  constructor(o: StopOptions) {
    this.onStopping = o.onStopping;
    if (o.signal?.aborted) this.request(String(o.signal.reason ?? 'aborted'));
    o.signal?.addEventListener('abort', () => this.request(String(o.signal?.reason ?? 'aborted')), { once: true });
    if (o.durationS !== undefined) this.timers.push(setTimeout(() => this.request('duration'), o.durationS * 1000));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  request(reason: string): void {
    if (this.controller.signal.aborted) return;
    this.reason = reason;
    this.onStopping?.(reason);
    this.controller.abort(reason);
  }

  fail(error: Error): void {
    this.fatal ??= error;
    this.request('fatal');
  }

  /** Stops with BrokerUnreachable once `health` has been down longer than `limitMs` (0: never). */
  watchBroker(health: BrokerHealth, limitMs: number, brokers: readonly string[]): void {
    if (limitMs <= 0) return;
    this.timers.push(
      setInterval(() => {
        if (health.downFor() > limitMs) this.fail(new BrokerUnreachable(brokers, health.downFor(), health.lastError ?? 'no answer'));
      }, 250),
    );
  }

  every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  /** Resolves when stopping begins. */
  stopped(): Promise<void> {
    const s = this.controller.signal;
    return new Promise((resolve) => (s.aborted ? resolve() : s.addEventListener('abort', () => resolve(), { once: true })));
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}

/**
 * Whether the broker can be reached, as the transport last found out: since when it has been failing
 * and with what. The status line shows it, the run stops after a configured outage, and the log gets
 * the first failure of an outage and then one line every half minute instead of one per retry.
 */
export class BrokerHealth {
  downSince: number | undefined;
  lastError: string | undefined;
  private lastLogged = -Infinity;
  private readonly logEveryMs: number;

  constructor(logEveryMs = 30_000) {
    this.logEveryMs = logEveryMs;
  }

  ok(): void {
    this.downSince = undefined;
    this.lastError = undefined;
    this.lastLogged = -Infinity;
  }

  /** Records a failure; true when it is worth a log line (the first of an outage, or one every logEveryMs). */
  failed(error: string, now = Date.now()): boolean {
    this.downSince ??= now;
    this.lastError = error;
    if (now - this.lastLogged < this.logEveryMs) return false;
    this.lastLogged = now;
    return true;
  }

  /** How long it has been down at `now`, in ms (0 when up). */
  downFor(now = Date.now()): number {
    return this.downSince === undefined ? 0 : now - this.downSince;
  }
}

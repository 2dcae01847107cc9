/** The failures a test can inject into the server. */
export interface KiteFaults {
  /** Added to every HTTP response. */
  latencyMs: number;
  /** The next n requests (any endpoint) answer 429 NetworkException "Too Many Requests". */
  next429(n: number): void;
  /** The next n requests answer 503 NetworkException (or, with status 500, GeneralException). */
  next5xx(n: number, status?: 500 | 503): void;
  /** The next n order placements are accepted (the order exists and proceeds) but the connection is destroyed unanswered. */
  acceptThenDrop(n: number): void;
  /** The next n orders accepted go to REJECTED with this status_message (default: an RMS margin rejection). */
  rejectNext(n: number, reason?: string): void;
  /** Every access token becomes invalid: 403 TokenException on REST, WebSocket upgrades refused with 403. */
  expireSessions(): void;
  /** Terminates every WebSocket connection abruptly (no close frame). */
  dropSockets(): void;
  /** WebSocket connections stay open but receive nothing (no ticks, order updates or heartbeats) for ms. */
  silence(ms: number): void;
}

/** What the faults act on immediately. */
export interface FaultTargets {
  expireSessions(): void;
  dropSockets(): void;
  silence(ms: number): void;
}

export class Faults implements KiteFaults {
  latencyMs = 0;
  private tooMany = 0;
  private serverErrors: (500 | 503)[] = [];
  private drops = 0;
  private rejections: (string | undefined)[] = [];
  private readonly targets: FaultTargets;

  constructor(targets: FaultTargets) {
    this.targets = targets;
  }

  next429(n: number): void {
    this.tooMany += n;
  }

  next5xx(n: number, status: 500 | 503 = 503): void {
    this.serverErrors.push(...Array<500 | 503>(n).fill(status));
  }

  acceptThenDrop(n: number): void {
    this.drops += n;
  }

  rejectNext(n: number, reason?: string): void {
    this.rejections.push(...Array<string | undefined>(n).fill(reason));
  }

  expireSessions(): void {
    this.targets.expireSessions();
  }

  dropSockets(): void {
    this.targets.dropSockets();
  }

  silence(ms: number): void {
    this.targets.silence(ms);
  }

  /** Consumes one injected 429, if any is pending. */
  takeTooMany(): boolean {
    if (this.tooMany === 0) return false;
    this.tooMany--;
    return true;
  }

  /** Consumes one injected 5xx: its status, or undefined. */
  takeServerError(): 500 | 503 | undefined {
    return this.serverErrors.shift();
  }

  takeDrop(): boolean {
    if (this.drops === 0) return false;
    this.drops--;
    return true;
  }

  /** Consumes one forced rejection: { reason } (reason undefined = the default message), or undefined when none is pending. */
  takeRejection(): { reason: string | undefined } | undefined {
    return this.rejections.length === 0 ? undefined : { reason: this.rejections.shift() };
  }
}

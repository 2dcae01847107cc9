import WebSocket from 'ws';
import type { Clock, Timer } from '../../clock.ts';
import type { Logger } from '../../log.ts';

export type ConnectionState = 'connecting' | 'open' | 'waiting' | 'unauthorised' | 'closed';

export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
}

export interface ConnectionCounters {
  reconnects: number;
  silentSockets: number;
}

export interface ConnectionOptions {
  /** For logs. */
  readonly name: string;
  /** Read at every attempt, so a new access token is used; undefined when there is none. */
  readonly address: () => string | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly heartbeatTimeoutMs: number;
  readonly backoff: Backoff;
  readonly random: () => number;
  readonly counters: ConnectionCounters;
  /** The socket opened: the server has forgotten any earlier subscriptions. */
  readonly opened: () => void;
  readonly frame: (data: Buffer, isBinary: boolean, receivedAt: number) => void;
  readonly changed: () => void;
}

/** How long a stop waits for the server to answer the close before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

/** One attempt's socket, and why it ended when something other than the server said so. */
interface Attempt {
  readonly ws: WebSocket;
  failure: string | undefined;
  refusedWith: number | undefined;
}

/**
 * One ticker socket that keeps itself connected: a jittered, doubling backoff after a failure; a refused
 * upgrade (401/403: the access token expired or was revoked) retried only every `maxMs`; a watchdog that
 * terminates a socket silent for `heartbeatTimeoutMs` (no handshake, no tick, no heartbeat). Every wait
 * is on the injected clock. It never throws from a socket event.
 */
export class KiteConnection {
  private lastProblem: string | undefined;
  private current: ConnectionState = 'closed';
  private readonly o: ConnectionOptions;
  private attempt: Attempt | undefined;
  /** The watchdog while a socket exists, the retry wait while none does. */
  private timer: Timer | undefined;
  private attempts = 0;
  /** Failures since a socket last delivered a frame: the backoff's exponent. */
  private failures = 0;
  private lastActivity = 0;
  private reconnectOnClose = false;
  private closing: Promise<void> | undefined;
  private closed: (() => void) | undefined;

  constructor(options: ConnectionOptions) {
    this.o = options;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Why the socket is not open: the last attempt's failure, for logs and stats. */
  get problem(): string | undefined {
    return this.lastProblem;
  }

  start(): void {
    if (this.attempts === 0) this.connect();
  }

  /** Sent only on an open socket: one opened later is sent everything by `opened`. */
  send(message: unknown): void {
    const ws = this.attempt?.ws;
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  /** Drops any socket and connects at once, with a fresh backoff (after a new login). */
  reconnectNow(): void {
    if (this.closing) return;
    this.failures = 0;
    if (this.attempt) {
      this.reconnectOnClose = true;
      this.attempt.ws.terminate();
    } else this.connect();
  }

  stop(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.cancelTimer();
      const ws = this.attempt?.ws;
      if (!ws) {
        this.set('closed');
        return resolve();
      }
      this.closed = resolve;
      if (ws.readyState !== WebSocket.OPEN) return ws.terminate();
      ws.close(1000);
      this.timer = this.o.clock.schedule(CLOSE_GRACE_MS, () => ws.terminate());
    });
    return this.closing;
  }

  private connect(): void {
    this.cancelTimer();
    if (this.attempts++ > 0) this.o.counters.reconnects++;
    const address = this.o.address();
    if (address === undefined) {
      this.lastProblem = 'no access token';
      return this.retry(true);
    }
    // A refused token stays the state until a socket opens or fails for another reason.
    if (this.current !== 'unauthorised') this.set('connecting');
    const ws = new WebSocket(address, { followRedirects: false, perMessageDeflate: false });
    const attempt: Attempt = { ws, failure: undefined, refusedWith: undefined };
    this.attempt = attempt;
    this.lastActivity = this.o.clock.now();
    this.watch(attempt);
    ws.on('unexpected-response', (_req, res) => {
      attempt.refusedWith = res.statusCode;
      attempt.failure = `upgrade refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      this.lastProblem = undefined;
      this.lastActivity = this.o.clock.now();
      this.set('open');
      this.o.opened();
    });
    // binaryType is ws's default 'nodebuffer': every message arrives as one Buffer.
    ws.on('message', (data, isBinary) => this.received(data as Buffer, isBinary));
    ws.on('error', (error) => (attempt.failure ??= error.message));
    ws.on('close', (code, reason) => this.socketClosed(attempt, code, reason.toString()));
  }

  private received(data: Buffer, isBinary: boolean): void {
    const now = this.o.clock.now();
    this.lastActivity = now;
    this.failures = 0;
    this.o.frame(data, isBinary, now);
  }

  private watch(attempt: Attempt): void {
    const limit = this.o.heartbeatTimeoutMs;
    this.timer = this.o.clock.schedule(this.lastActivity + limit - this.o.clock.now(), () => {
      this.timer = undefined;
      if (this.o.clock.now() - this.lastActivity < limit) return this.watch(attempt);
      this.o.counters.silentSockets++;
      attempt.failure ??= attempt.ws.readyState === WebSocket.OPEN ? `silent for ${limit} ms (no tick, no heartbeat)` : `no handshake within ${limit} ms`;
      attempt.ws.terminate();
    });
  }

  private socketClosed(attempt: Attempt, code: number, reason: string): void {
    if (attempt !== this.attempt) return;
    this.attempt = undefined;
    this.cancelTimer();
    if (this.closed) {
      this.set('closed');
      return this.closed();
    }
    if (this.reconnectOnClose) {
      this.reconnectOnClose = false;
      return this.connect();
    }
    this.lastProblem = attempt.failure ?? `closed by the server (code ${code}${reason ? `: ${reason}` : ''})`;
    this.retry(attempt.refusedWith === 401 || attempt.refusedWith === 403);
  }

  private retry(unauthorised: boolean): void {
    const { minMs, maxMs } = this.o.backoff;
    const delay = unauthorised ? maxMs : Math.min(maxMs, minMs * 2 ** this.failures++) * (0.5 + this.o.random() / 2);
    this.set(unauthorised ? 'unauthorised' : 'waiting');
    this.o.log[unauthorised ? 'debug' : 'warn']({ connection: this.o.name, problem: this.problem, retryInMs: Math.round(delay) }, `${this.o.name}: ${this.problem}; reconnecting in ${Math.round(delay)} ms`);
    this.timer = this.o.clock.schedule(delay, () => {
      this.timer = undefined;
      this.connect();
    });
  }

  private set(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    this.o.changed();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

import type { Clock } from '../../clock.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { KiteConnection, type Backoff } from './connection.ts';
import { isHeartbeat, parseFrame, parseText, type KiteMode, type KitePacket } from './packets.ts';

/** 'open' when every socket is; 'unauthorised' when any has had its access token refused. */
export type TickerState = 'idle' | 'connecting' | 'open' | 'unauthorised' | 'stopped';

export interface KiteTickerOptions {
  /** 'wss://ws.kite.trade', or a local stand-in's ws:// address. */
  readonly url: string;
  readonly apiKey: string;
  /** Read at every connect: the token changes at the 06:00 IST expiry and at every login. */
  readonly accessToken: () => string | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onTicks: (packets: KitePacket[], receivedAt: number) => void;
  /**
   * The postback payload of an order update. Kite may send one on every open socket, so consumers
   * must treat updates as idempotent (they are anyway: the same update can come from the postback).
   */
  readonly onOrderUpdate: (data: unknown) => void;
  readonly onState?: (state: TickerState) => void;
  /** Kite's own `error` and `message` text frames (also logged), which kiteconnect drops. */
  readonly onNotice?: (notice: { readonly type: 'error' | 'message'; readonly text: string }) => void;
  /** No frame at all (heartbeats included) for this long: the socket is dead. Default 5000. */
  readonly heartbeatTimeoutMs?: number;
  /** Default 1 s doubling to 60 s, jittered; a refused token is retried every `maxMs`. */
  readonly backoff?: Partial<Backoff>;
  readonly maxConnections?: number;
  readonly tokensPerConnection?: number;
  /** [0, 1), for the backoff's jitter. */
  readonly random?: () => number;
}

export interface SubscribeResult {
  readonly accepted: number;
  /** Tokens not subscribed: not instrument tokens, or over the connections' capacity. */
  readonly refused: readonly number[];
  readonly error?: string;
}

export interface TickerStats {
  readonly state: TickerState;
  readonly connections: number;
  readonly connectionsOpen: number;
  readonly subscribed: number;
  /** Why a socket is not open (the first such socket's last failure). */
  readonly problem: string | undefined;
  readonly reconnects: number;
  readonly silentSockets: number;
  /** Ms since the epoch (the clock's), of the last frame of any kind on any socket. */
  readonly lastFrameAt: number | undefined;
  readonly frames: number;
  readonly packets: number;
  readonly heartbeats: number;
  readonly parseErrors: number;
  /** onTicks, onOrderUpdate, onState or onNotice threw. */
  readonly handlerErrors: number;
}

interface Slot {
  readonly index: number;
  readonly tokens: Map<number, KiteMode>;
  conn: KiteConnection | undefined;
}

const MODES: readonly KiteMode[] = ['ltp', 'quote', 'full'];
const MAX_TOKEN = 0xffffffff;

/**
 * Our Kite ticker client (instead of kiteconnect's KiteTicker, which keeps module-level state, exits the
 * process on a disconnect and misreads values of 2^31 and more). Instruments are spread over up to
 * `maxConnections` sockets of `tokensPerConnection` each, Kite's limits per API key; each socket is
 * sent its subscriptions and modes again whenever it opens, since the server forgets them. Socket 1
 * stays open with no instruments: it also carries the order updates. Nothing here throws from an event
 * or exits the process; the callbacks' own failures are caught and logged.
 */
export class KiteTicker {
  private readonly o: KiteTickerOptions;
  private readonly url: URL;
  private readonly backoff: Backoff;
  private readonly perConnection: number;
  private readonly slots: Slot[];
  private readonly counters = { reconnects: 0, silentSockets: 0 };
  private readonly retiring = new Set<Promise<void>>();
  private phase: 'idle' | 'running' | 'stopped' = 'idle';
  private reported: TickerState = 'idle';
  private lastFrameAt: number | undefined;
  private frames = 0;
  private packets = 0;
  private heartbeats = 0;
  private parseErrors = 0;
  private handlerErrors = 0;

  constructor(options: KiteTickerOptions) {
    this.o = options;
    this.url = new URL(options.url);
    if (this.url.protocol !== 'ws:' && this.url.protocol !== 'wss:') throw new ConfigError([`kite ticker url ${options.url}: must be ws:// or wss://`]);
    this.backoff = { minMs: options.backoff?.minMs ?? 1000, maxMs: options.backoff?.maxMs ?? 60_000 };
    this.perConnection = options.tokensPerConnection ?? 3000;
    this.slots = Array.from({ length: options.maxConnections ?? 3 }, (_, index) => ({ index, tokens: new Map(), conn: undefined }));
  }

  get state(): TickerState {
    if (this.phase !== 'running') return this.phase;
    const conns = this.connections();
    if (conns.some((c) => c.state === 'unauthorised')) return 'unauthorised';
    return conns.every((c) => c.state === 'open') ? 'open' : 'connecting';
  }

  get stats(): TickerStats {
    const conns = this.connections();
    return {
      state: this.state,
      connections: conns.length,
      connectionsOpen: conns.filter((c) => c.state === 'open').length,
      subscribed: this.slots.reduce((n, s) => n + s.tokens.size, 0),
      problem: conns.find((c) => c.state !== 'open')?.problem,
      ...this.counters,
      lastFrameAt: this.lastFrameAt,
      frames: this.frames,
      packets: this.packets,
      heartbeats: this.heartbeats,
      parseErrors: this.parseErrors,
      handlerErrors: this.handlerErrors,
    };
  }

  start(): void {
    if (this.phase === 'running') return;
    this.phase = 'running';
    for (const slot of this.slots) if (slot.index === 0 || slot.tokens.size > 0) this.open(slot);
    this.changed();
  }

  async stop(): Promise<void> {
    this.phase = 'stopped';
    const closing = this.slots.flatMap((s) => (s.conn ? [s.conn.stop()] : []));
    for (const slot of this.slots) slot.conn = undefined;
    await Promise.all([...closing, ...this.retiring]);
    this.changed();
  }

  /** Connects every socket at once with the current token, dropping open ones (after a new login). */
  reconnectNow(): void {
    for (const conn of this.connections()) conn.reconnectNow();
  }

  /** Subscribes `tokens` in `mode` (a token already subscribed changes mode where it is). */
  subscribe(tokens: readonly number[], mode: KiteMode): SubscribeResult {
    const invalid: number[] = [];
    const overCapacity: number[] = [];
    const added = new Map<Slot, number[]>();
    for (const token of new Set(tokens)) {
      if (!Number.isInteger(token) || token <= 0 || token > MAX_TOKEN) {
        invalid.push(token);
        continue;
      }
      const slot = this.slots.find((s) => s.tokens.has(token)) ?? this.slots.find((s) => s.tokens.size < this.perConnection);
      if (!slot) {
        overCapacity.push(token);
        continue;
      }
      slot.tokens.set(token, mode);
      (added.get(slot) ?? added.set(slot, []).get(slot)!).push(token);
    }
    for (const [slot, fresh] of added) {
      if (slot.conn) this.request(slot, fresh);
      else if (this.phase === 'running') this.open(slot);
    }
    const accepted = [...added.values()].reduce((n, a) => n + a.length, 0);
    if (invalid.length === 0 && overCapacity.length === 0) return { accepted, refused: [] };
    const problems = [
      ...(invalid.length ? [`${invalid.length} are not instrument tokens (${preview(invalid)})`] : []),
      ...(overCapacity.length ? [`${overCapacity.length} exceed ${this.slots.length} connections x ${this.perConnection} instruments (${preview(overCapacity)})`] : []),
    ];
    const error = `kite ticker refused ${invalid.length + overCapacity.length} of ${tokens.length} tokens: ${problems.join('; ')}`;
    this.o.log.error({ invalid: invalid.length, overCapacity: overCapacity.length }, error);
    return { accepted, refused: [...invalid, ...overCapacity], error };
  }

  unsubscribe(tokens: readonly number[]): void {
    for (const slot of this.slots) {
      const removed = tokens.filter((t) => slot.tokens.delete(t));
      if (removed.length === 0 || !slot.conn) continue;
      if (slot.index > 0 && slot.tokens.size === 0) this.retire(slot, slot.conn);
      else slot.conn.send({ a: 'unsubscribe', v: removed });
    }
  }

  private connections(): KiteConnection[] {
    return this.slots.flatMap((s) => (s.conn ? [s.conn] : []));
  }

  private open(slot: Slot): void {
    const conn = new KiteConnection({
      name: `kite ticker ${slot.index + 1}/${this.slots.length}`,
      address: () => this.address(),
      clock: this.o.clock,
      log: this.o.log,
      heartbeatTimeoutMs: this.o.heartbeatTimeoutMs ?? 5000,
      backoff: this.backoff,
      random: this.o.random ?? Math.random,
      counters: this.counters,
      opened: () => this.request(slot, [...slot.tokens.keys()]),
      frame: (data, isBinary, receivedAt) => this.received(data, isBinary, receivedAt),
      changed: () => this.changed(),
    });
    slot.conn = conn;
    conn.start();
  }

  /** A socket left with no instruments is closed (socket 1 stays, for order updates). */
  private retire(slot: Slot, conn: KiteConnection): void {
    slot.conn = undefined;
    const closing = conn.stop().finally(() => this.retiring.delete(closing));
    this.retiring.add(closing);
    this.changed();
  }

  private request(slot: Slot, tokens: number[]): void {
    if (tokens.length === 0) return;
    slot.conn?.send({ a: 'subscribe', v: tokens });
    for (const mode of MODES) {
      const inMode = tokens.filter((t) => slot.tokens.get(t) === mode);
      if (inMode.length > 0) slot.conn?.send({ a: 'mode', v: [mode, inMode] });
    }
  }

  private address(): string | undefined {
    let token: string | undefined;
    try {
      token = this.o.accessToken();
    } catch (err) {
      this.o.log.error({ err }, 'kite ticker: reading the access token failed');
    }
    if (!token) return undefined;
    const url = new URL(this.url);
    url.searchParams.set('api_key', this.o.apiKey);
    url.searchParams.set('access_token', token);
    return url.toString();
  }

  private received(data: Buffer, isBinary: boolean, receivedAt: number): void {
    this.frames++;
    this.lastFrameAt = receivedAt;
    if (!isBinary) return this.text(data.toString('utf8'));
    if (isHeartbeat(data)) {
      this.heartbeats++;
      return;
    }
    const { packets, errors } = parseFrame(data);
    if (errors.length > 0) {
      this.parseErrors += errors.length;
      this.o.log.warn({ errors, bytes: data.length, parsed: packets.length }, 'kite ticker: unreadable binary frame');
    }
    if (packets.length === 0) return;
    this.packets += packets.length;
    this.guard('onTicks', () => this.o.onTicks(packets, receivedAt));
  }

  private text(s: string): void {
    const m = parseText(s);
    if (m.type === 'order') return this.guard('onOrderUpdate', () => this.o.onOrderUpdate(m.data));
    if (m.type === 'unreadable') {
      this.parseErrors++;
      this.o.log.warn({ problem: m.problem }, 'kite ticker: unreadable text frame');
      return;
    }
    this.o.log[m.type === 'error' ? 'error' : 'info']({ text: m.text }, `kite ticker: ${m.type} from Kite: ${m.text}`);
    this.guard('onNotice', () => this.o.onNotice?.(m));
  }

  private changed(): void {
    const state = this.state;
    if (state === this.reported) return;
    this.reported = state;
    if (state === 'unauthorised') {
      const problem = this.connections().find((c) => c.state === 'unauthorised')?.problem;
      this.o.log.error(
        { problem },
        `kite ticker unauthorised (${problem}): the access token expires at 06:00 IST and on logout; log in again. Retrying every ${Math.round(this.backoff.maxMs / 1000)} s until then`,
      );
    }
    this.guard('onState', () => this.o.onState?.(state));
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.handlerErrors++;
      this.o.log.error({ err }, `kite ticker: ${what} threw`);
    }
  }
}

function preview(tokens: readonly number[]): string {
  return tokens.length > 5 ? `${tokens.slice(0, 5).join(', ')}, ...` : tokens.join(', ');
}

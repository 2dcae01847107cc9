import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Market } from './market.ts';
import { encodeFrame, encodePacket, HEARTBEAT, type TickMode } from './packets.ts';

export const MAX_TOKENS_PER_CONNECTION = 3000;
export const MAX_CONNECTIONS_PER_KEY = 3;

export interface TickerOptions {
  readonly market: Market;
  /** Whether this api_key + access_token pair may connect. */
  readonly authorised: (apiKey: string, accessToken: string) => boolean;
  readonly heartbeatMs: number;
}

interface Client {
  readonly ws: WebSocket;
  readonly apiKey: string;
  /** Subscribed tokens and the mode of each. */
  readonly modes: Map<number, TickMode>;
  readonly heartbeat: NodeJS.Timeout;
}

/**
 * Kite's ticker (ws.kite.trade) on path /ws: JSON requests in, binary ticks and JSON order updates out,
 * a 1-byte heartbeat after heartbeatMs without any other frame.
 */
export class Ticker {
  private readonly o: TickerOptions;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<Client>();
  private silentUntil = 0;

  constructor(options: TickerOptions) {
    this.o = options;
  }

  /** The HTTP server's 'upgrade' event. Refusals are plain HTTP answers, as a WebSocket client reports them. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'ws://localhost');
    const apiKey = url.searchParams.get('api_key') ?? '';
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    if (!this.o.authorised(apiKey, url.searchParams.get('access_token') ?? '')) return refuse('403 Forbidden');
    if ([...this.clients].filter((c) => c.apiKey === apiKey).length >= MAX_CONNECTIONS_PER_KEY) return refuse('429 Too Many Requests');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, apiKey));
  }

  /** Sends the instrument's current state to every connection subscribed to it, in that connection's mode. */
  publish(token: number): void {
    const state = this.o.market.state(token);
    if (!state) return;
    const tick = this.o.market.tick(state);
    for (const c of this.clients) {
      const mode = c.modes.get(token);
      if (mode) this.send(c, encodeFrame([encodePacket(mode, tick)]));
    }
  }

  /** An order update, `{"type":"order","data":...}`, to every connection of the account. */
  orderUpdate(data: unknown): void {
    const text = JSON.stringify({ type: 'order', data });
    for (const c of this.clients) this.send(c, text);
  }

  silence(ms: number): void {
    this.silentUntil = Date.now() + ms;
  }

  /** Ends every connection without a close frame, as a network failure does. */
  dropAll(): void {
    for (const c of this.clients) c.ws.terminate();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private connected(ws: WebSocket, apiKey: string): void {
    const client: Client = { ws, apiKey, modes: new Map(), heartbeat: setTimeout(() => this.beat(client), this.o.heartbeatMs).unref() };
    this.clients.add(client);
    ws.on('message', (data, isBinary) => this.request(client, isBinary ? '' : data.toString()));
    ws.on('close', () => {
      clearTimeout(client.heartbeat);
      this.clients.delete(client);
    });
    ws.on('error', () => ws.terminate());
  }

  private beat(client: Client): void {
    if (this.silent()) client.heartbeat.refresh();
    else this.send(client, HEARTBEAT);
  }

  private request(c: Client, text: string): void {
    let message: { a?: unknown; v?: unknown };
    try {
      message = JSON.parse(text) as { a?: unknown; v?: unknown };
    } catch {
      return this.error(c, 'Invalid message: expected JSON {"a": ..., "v": ...}');
    }
    const tokens = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((t) => Number.isInteger(t)) ? (v as number[]) : undefined);
    if (message.a === 'subscribe' || message.a === 'unsubscribe') {
      const list = tokens(message.v);
      if (!list) return this.error(c, `Invalid ${message.a} request: v must be a list of instrument tokens`);
      if (message.a === 'subscribe') this.subscribe(c, list, 'quote');
      else for (const t of list) c.modes.delete(t);
      return;
    }
    if (message.a === 'mode' && Array.isArray(message.v)) {
      const [mode, list] = message.v as unknown[];
      const valid = tokens(list);
      if ((mode === 'ltp' || mode === 'quote' || mode === 'full') && valid) return this.setMode(c, mode, valid);
    }
    this.error(c, `Invalid request: ${text.slice(0, 200)}`);
  }

  /** Kite subscribes in quote mode, refuses a request that would pass 3000 tokens, and sends the current state of what it subscribed. */
  private subscribe(c: Client, tokens: number[], mode: TickMode): void {
    const added = new Set(tokens.filter((t) => !c.modes.has(t)));
    if (c.modes.size + added.size > MAX_TOKENS_PER_CONNECTION) {
      return this.error(c, `Subscription refused: a connection can subscribe to at most ${MAX_TOKENS_PER_CONNECTION} instruments (${c.modes.size} subscribed, ${added.size} more requested)`);
    }
    for (const t of added) c.modes.set(t, mode);
    this.snapshot(c, [...added]);
  }

  /** Changes the mode of tokens already subscribed; others are ignored. */
  private setMode(c: Client, mode: TickMode, tokens: number[]): void {
    const changed = tokens.filter((t) => c.modes.has(t));
    for (const t of changed) c.modes.set(t, mode);
    this.snapshot(c, changed);
  }

  private snapshot(c: Client, tokens: number[]): void {
    const packets = tokens.flatMap((t) => {
      const s = this.o.market.state(t);
      const mode = c.modes.get(t);
      return s && mode ? [encodePacket(mode, this.o.market.tick(s))] : [];
    });
    if (packets.length > 0) this.send(c, encodeFrame(packets));
  }

  private error(c: Client, data: string): void {
    this.send(c, JSON.stringify({ type: 'error', data }));
  }

  private silent(): boolean {
    return Date.now() < this.silentUntil;
  }

  /** Every frame re-arms the connection's heartbeat; while silenced nothing is sent (and nothing queued). */
  private send(c: Client, frame: Buffer | string): void {
    if (this.silent() || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(frame);
    c.heartbeat.refresh();
  }
}

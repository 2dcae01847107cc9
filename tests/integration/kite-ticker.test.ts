import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, TestClock } from '../../src/clock.ts';
import { MarketTick } from '../../src/contracts/events.ts';
import { toMarketTick, type KitePacket } from '../../src/feeds/kite/packets.ts';
import { KiteTicker, type KiteTickerOptions, type TickerState } from '../../src/feeds/kite/ticker.ts';

const API_KEY = 'kite-key';
const HEARTBEAT_TIMEOUT_MS = 300;
const FULL_PACKET = Buffer.from(readFileSync(join(import.meta.dirname, '../fixtures/kite/ticker_full.packet'), 'utf8').trim(), 'base64');

interface Request {
  readonly a: string;
  readonly v: unknown;
}

interface ServerSocket {
  readonly id: number;
  readonly ws: WebSocket;
  readonly requests: Request[];
  silent: boolean;
  lastSentAt: number;
  closedAt: number | undefined;
}

/**
 * A local stand-in for ws.kite.trade: checks api_key and access_token on the upgrade (403 otherwise),
 * records the requests each socket sends, and beats every 50 ms on each socket not told to be silent.
 */
class StandIn {
  accessToken = 'token-1';
  /** New sockets start silent: no heartbeats. */
  quiet = false;
  refused = 0;
  readonly sockets: ServerSocket[] = [];
  private readonly wss: WebSocketServer;
  private readonly beat: NodeJS.Timeout;

  private constructor(wss: WebSocketServer) {
    this.wss = wss;
    wss.on('connection', (ws) => {
      const socket: ServerSocket = { id: this.sockets.length + 1, ws, requests: [], silent: this.quiet, lastSentAt: Date.now(), closedAt: undefined };
      this.sockets.push(socket);
      ws.on('message', (data) => socket.requests.push(JSON.parse(data.toString())));
      ws.on('close', () => (socket.closedAt = Date.now()));
    });
    this.beat = setInterval(() => {
      for (const s of this.open()) if (!s.silent) this.send(s, Buffer.from([0]));
    }, 50);
  }

  static async start(): Promise<StandIn> {
    let server: StandIn | undefined;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ws',
      verifyClient: (info, done) => {
        const query = new URL(info.req.url!, 'http://localhost').searchParams;
        const ok = query.get('api_key') === API_KEY && query.get('access_token') === server!.accessToken;
        if (!ok) server!.refused++;
        done(ok, 403, 'Forbidden');
      },
    });
    server = new StandIn(wss);
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
  }

  open(): ServerSocket[] {
    return this.sockets.filter((s) => s.closedAt === undefined);
  }

  send(socket: ServerSocket, data: Buffer | string): void {
    socket.lastSentAt = Date.now();
    socket.ws.send(data, { binary: typeof data !== 'string' });
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    for (const s of this.sockets) s.ws.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }
}

function frame(...packets: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0, packets.length]), ...packets.flatMap((p) => [Buffer.from([p.length >> 8, p.length & 0xff]), p])]);
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('KiteTicker against a local stand-in', () => {
  let server: StandIn;
  let exit: MockInstance<typeof process.exit>;
  const tickers: KiteTicker[] = [];

  beforeEach(async () => {
    exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    server = await StandIn.start();
  });

  afterEach(async () => {
    await Promise.all(tickers.splice(0).map((t) => t.stop()));
    await server.close();
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
  });

  function makeTicker(options: Partial<KiteTickerOptions> = {}) {
    const seen = { ticks: [] as KitePacket[][], orders: [] as unknown[], states: [] as TickerState[], notices: [] as string[], logs: [] as { level: number; msg: string }[] };
    const ticker = new KiteTicker({
      url: server.url,
      apiKey: API_KEY,
      accessToken: () => 'token-1',
      clock: systemClock,
      log: pino({ level: 'debug' }, { write: (line: string) => seen.logs.push(JSON.parse(line)) }),
      onTicks: (packets) => seen.ticks.push(packets),
      onOrderUpdate: (data) => seen.orders.push(data),
      onState: (s) => seen.states.push(s),
      onNotice: (n) => seen.notices.push(`${n.type}: ${n.text}`),
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      backoff: { minMs: 20, maxMs: 200 },
      ...options,
    });
    tickers.push(ticker);
    return { ticker, seen };
  }

  it('connects with the key and token, subscribes in each mode, and delivers ticks, order updates and notices', async () => {
    const { ticker, seen } = makeTicker();
    ticker.subscribe([408065, 884737], 'full');
    ticker.subscribe([256265], 'ltp');
    ticker.start();
    await until(() => ticker.state === 'open' && server.sockets[0]?.requests.length === 3, 'the subscription');
    const socket = server.sockets[0]!;
    expect(socket.requests).toEqual([
      { a: 'subscribe', v: [408065, 884737, 256265] },
      { a: 'mode', v: ['ltp', [256265]] },
      { a: 'mode', v: ['full', [408065, 884737]] },
    ]);

    server.send(socket, frame(FULL_PACKET));
    server.send(socket, JSON.stringify({ type: 'order', data: { order_id: '151220000000000', status: 'COMPLETE' } }));
    server.send(socket, JSON.stringify({ type: 'error', data: 'Invalid mode' }));
    await until(() => seen.ticks.length === 1 && seen.orders.length === 1 && seen.notices.length === 1, 'the frames');
    expect(seen.ticks[0]).toMatchObject([{ mode: 'full', instrument_token: 408065, last_price: 1573.7, volume_traded: 1192471 }]);
    expect(seen.orders).toEqual([{ order_id: '151220000000000', status: 'COMPLETE' }]);
    expect(seen.notices).toEqual(['error: Invalid mode']);

    ticker.subscribe([408065], 'quote');
    ticker.unsubscribe([884737]);
    await until(() => socket.requests.length === 6, 'the changes');
    expect(socket.requests.slice(3)).toEqual([
      { a: 'subscribe', v: [408065] },
      { a: 'mode', v: ['quote', [408065]] },
      { a: 'unsubscribe', v: [884737] },
    ]);
    await until(() => ticker.stats.heartbeats > 0, 'a heartbeat');
    expect(ticker.stats).toMatchObject({ state: 'open', connections: 1, connectionsOpen: 1, subscribed: 2, packets: 1, parseErrors: 0, reconnects: 0 });
    expect(seen.states).toEqual(['connecting', 'open']);
  });

  it('catches and counts a failing onTicks, and keeps delivering', async () => {
    let calls = 0;
    const { ticker } = makeTicker({
      onTicks: () => {
        if (++calls === 1) throw new Error('strategy bug');
      },
    });
    ticker.start();
    await until(() => server.sockets.length === 1 && ticker.state === 'open', 'the connection');
    server.send(server.sockets[0]!, frame(FULL_PACKET));
    server.send(server.sockets[0]!, frame(FULL_PACKET));
    await until(() => calls === 2, 'both frames');
    expect(ticker.stats).toMatchObject({ state: 'open', handlerErrors: 1, packets: 2, reconnects: 0 });
  });

  it('reconnects after the server drops the socket and subscribes again', async () => {
    const { ticker, seen } = makeTicker();
    ticker.subscribe([408065], 'full');
    ticker.start();
    await until(() => server.sockets[0]?.requests.length === 2, 'the first subscription');
    server.sockets[0]!.ws.terminate();
    await until(() => server.sockets[1]?.requests.length === 2 && ticker.state === 'open', 'the second subscription');
    expect(server.sockets[1]!.requests).toEqual([
      { a: 'subscribe', v: [408065] },
      { a: 'mode', v: ['full', [408065]] },
    ]);
    expect(ticker.stats.reconnects).toBe(1);
    expect(seen.states).toEqual(['connecting', 'open', 'connecting', 'open']);
  });

  it('terminates a silent socket within heartbeatTimeoutMs and reconnects', async () => {
    const { ticker } = makeTicker();
    ticker.subscribe([408065], 'quote');
    ticker.start();
    await until(() => server.sockets[0]?.requests.length === 2, 'the first subscription');
    const first = server.sockets[0]!;
    first.silent = true;
    await until(() => first.closedAt !== undefined, 'the silent socket to be dropped');
    const silentFor = first.closedAt! - first.lastSentAt;
    expect(silentFor).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 10);
    expect(silentFor).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 200);
    await until(() => server.sockets[1]?.requests.length === 2 && ticker.state === 'open', 'the new socket');
    expect(ticker.stats).toMatchObject({ silentSockets: 1, reconnects: 1 });
  });

  it('waits on the injected clock: the watchdog and the backoff move only when it does', async () => {
    const clock = new TestClock();
    server.quiet = true;
    const { ticker } = makeTicker({ clock, random: () => 0, backoff: { minMs: 20, maxMs: 200 } });
    ticker.start();
    await until(() => ticker.state === 'open', 'the connection');
    await new Promise((r) => setTimeout(r, HEARTBEAT_TIMEOUT_MS + 100));
    expect(server.open()).toHaveLength(1);
    clock.advance(HEARTBEAT_TIMEOUT_MS);
    await until(() => server.open().length === 0 && ticker.state === 'connecting', 'the silent socket to be dropped');
    clock.advance(9); // the first retry waits minMs x 2^0 x (0.5 + random / 2) = 10 ms
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sockets).toHaveLength(1);
    clock.advance(1);
    await until(() => server.sockets.length === 2, 'the retry');
    expect(ticker.stats).toMatchObject({ silentSockets: 1, reconnects: 1 });
  });

  it('on a refused token: unauthorised, logged once, retried only every maxMs; recovers on reconnectNow with the new token', async () => {
    let token = 'token-1';
    const { ticker, seen } = makeTicker({ accessToken: () => token, backoff: { minMs: 20, maxMs: 10_000 } });
    ticker.subscribe([408065], 'full');
    ticker.start();
    await until(() => ticker.state === 'open', 'the connection');

    server.accessToken = 'token-2'; // the 06:00 IST expiry: the server drops the socket and refuses the old token
    server.sockets[0]!.ws.terminate();
    await until(() => ticker.state === 'unauthorised', 'unauthorised');
    await new Promise((r) => setTimeout(r, 300));
    expect(server.refused).toBe(1);
    const loud = seen.logs.filter((l) => l.level >= 50 && /unauthorised/.test(l.msg));
    expect(loud).toHaveLength(1);
    expect(loud[0]!.msg).toContain('HTTP 403');
    expect(ticker.stats.problem).toBe('upgrade refused: HTTP 403 Forbidden');

    token = 'token-2';
    ticker.reconnectNow();
    await until(() => ticker.state === 'open' && server.sockets[1]?.requests.length === 2, 'the new session', 1000);
    expect(server.sockets[1]!.requests).toEqual([
      { a: 'subscribe', v: [408065] },
      { a: 'mode', v: ['full', [408065]] },
    ]);
    expect(seen.states).toEqual(['connecting', 'open', 'connecting', 'unauthorised', 'open']);
  });

  it('spreads 3001 tokens over two sockets, refuses what exceeds three, and closes a socket left empty', async () => {
    const { ticker, seen } = makeTicker();
    expect(ticker.subscribe(range(1, 3001), 'quote')).toEqual({ accepted: 3001, refused: [] });
    ticker.start();
    await until(() => server.sockets.filter((s) => s.requests.length === 2).length === 2 && ticker.state === 'open', 'two subscribed sockets');
    const subscribed = server.sockets.map((s) => (s.requests[0]!.v as number[]).length).sort((a, b) => a - b);
    expect(subscribed).toEqual([1, 3000]);
    expect(ticker.stats).toMatchObject({ connections: 2, connectionsOpen: 2, subscribed: 3001 });

    const result = ticker.subscribe(range(3002, 9001), 'quote');
    expect(result).toMatchObject({ accepted: 5999, refused: [9001] });
    expect(result.error).toContain('1 exceed 3 connections x 3000 instruments (9001)');
    expect(seen.logs.some((l) => l.level >= 50 && l.msg === result.error)).toBe(true);
    await until(() => server.sockets.length === 3 && ticker.stats.connectionsOpen === 3, 'a third socket');
    expect(ticker.stats.subscribed).toBe(9000);

    ticker.unsubscribe(range(6001, 9000));
    await until(() => server.sockets[2]!.closedAt !== undefined && ticker.stats.connections === 2, 'the empty socket to close');
    expect(ticker.state).toBe('open');
  });

  it('stops: every socket closed, no reconnect, and start brings it back', async () => {
    const { ticker } = makeTicker();
    ticker.subscribe([408065], 'ltp');
    ticker.start();
    await until(() => ticker.state === 'open', 'the connection');
    await ticker.stop();
    expect(ticker.state).toBe('stopped');
    await until(() => server.open().length === 0, 'the socket to close');
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sockets).toHaveLength(1);
    ticker.start();
    await until(() => server.sockets[1]?.requests.length === 2 && ticker.state === 'open', 'the restart');
  });
});

describe('KiteTicker against the Kite stand-in (tests/kite/server.ts)', () => {
  it('ticks as the market moves, and rides out dropped sockets, a silence and an expired session until a new login', async () => {
    // Imported here: a change to the stand-in can fail this test alone.
    const { KiteServer } = await import('../kite/server.ts');
    const kite = await KiteServer.start({ heartbeatMs: 100 });
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const login = async () => {
      const request_token = kite.login();
      const checksum = createHash('sha256').update(kite.apiKey + request_token + kite.apiSecret).digest('hex');
      const res = await fetch(`${kite.url}/session/token`, { method: 'POST', headers: { 'X-Kite-Version': '3' }, body: new URLSearchParams({ api_key: kite.apiKey, request_token, checksum }) });
      return ((await res.json()) as { data: { access_token: string } }).data.access_token;
    };
    let token = await login();
    const ticks: MarketTick[] = [];
    const ticker = new KiteTicker({
      url: kite.wsUrl,
      apiKey: kite.apiKey,
      accessToken: () => token,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      onTicks: (packets, receivedAt) => ticks.push(...packets.flatMap((p) => toMarketTick(p, receivedAt) ?? []).map((t) => MarketTick.parse(t))),
      onOrderUpdate: () => {},
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      backoff: { minMs: 20, maxMs: 5000 },
    });
    // A quote set while no socket is open is not queued for it: set it until a tick shows it.
    const quoted = (price: number) =>
      until(() => {
        kite.setQuote(408065, { last_price: price });
        return ticks.at(-1)?.last_price === price;
      }, `a tick at ${price}`);
    try {
      ticker.subscribe([408065, 256265], 'full');
      ticker.start();
      await until(() => [408065, 256265].every((t) => ticks.some((k) => k.instrument_token === t)), 'the subscription snapshots');
      await quoted(1441.5);

      kite.faults.dropSockets();
      await until(() => ticker.stats.reconnects === 1 && ticker.state === 'open', 'the reconnect');
      await quoted(1442);

      kite.faults.silence(2 * HEARTBEAT_TIMEOUT_MS);
      await until(() => ticker.stats.silentSockets >= 1, 'the silence to be noticed');
      await quoted(1442.5);

      kite.faults.expireSessions();
      kite.faults.dropSockets();
      await until(() => ticker.state === 'unauthorised', 'unauthorised');
      token = await login();
      ticker.reconnectNow();
      await until(() => ticker.state === 'open', 'the new session');
      await quoted(1443);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
      await ticker.stop();
      await kite.close();
    }
  });
});

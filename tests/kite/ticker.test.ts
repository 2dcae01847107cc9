import { KiteConnect, KiteTicker } from 'kiteconnect';
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KiteServer } from './server.ts';
import { packetsOf, sleep, tickerClient, waitFor, type TickerClient } from './support.ts';

const INFY = 408065; // tick 0.10, reference 1430.00
const SBIN = 779521; // tick 0.05, reference 805.00
const NIFTY = 256265; // index, reference 24400.00
const HEARTBEAT_MS = 100;

let server: KiteServer;
let accessToken: string;
const open: TickerClient[] = [];

async function newSession(s: KiteServer): Promise<string> {
  return (await new KiteConnect({ api_key: s.apiKey, root: s.url }).generateSession(s.login(), s.apiSecret)).access_token;
}

async function connect(s = server, token = accessToken): Promise<TickerClient> {
  const c = await tickerClient(s, token);
  open.push(c);
  return c;
}

/** Ticks only: the frames longer than a heartbeat. */
const tickFrames = (c: TickerClient): Buffer[] => c.binary.filter((f) => f.length > 1);
/** The HTTP status the upgrade was refused with (ws reports it as "Unexpected server response: 403"). */
const refusal = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('error', (e) => resolve(Number(/response: (\d+)/.exec(e.message)?.[1] ?? 0)));
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
  });

beforeAll(async () => {
  server = await KiteServer.start({ heartbeatMs: HEARTBEAT_MS });
  accessToken = await newSession(server);
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => (c.ws.readyState === c.ws.CLOSED ? undefined : new Promise((resolve) => {
    c.ws.once('close', resolve);
    c.ws.close();
  }))));
});

afterAll(async () => {
  await server.close();
});

describe('the ticker', () => {
  it('subscribes in quote mode by default and sends the current state at once', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: [INFY] });
    const [frame] = await waitFor(() => tickFrames(c).length > 0 && tickFrames(c));
    const [packet] = packetsOf(frame!);
    expect(packet?.length).toBe(44);
    expect([packet!.readUInt32BE(0), packet!.readUInt32BE(4)]).toEqual([INFY, 143000]);
  });

  it('sends a 184-byte full packet with the new price and depth after setQuote', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: [SBIN] });
    c.send({ a: 'mode', v: ['full', [SBIN]] });
    await waitFor(() => tickFrames(c).some((f) => packetsOf(f)[0]?.length === 184));
    c.binary.length = 0;
    server.setQuote(SBIN, { last_price: 806.5, bid: 806.45, ask: 806.55, volume: 5000 });
    const [frame] = await waitFor(() => tickFrames(c).length > 0 && tickFrames(c));
    const [p] = packetsOf(frame!);
    expect(p?.length).toBe(184);
    expect([p!.readUInt32BE(0), p!.readUInt32BE(4), p!.readUInt32BE(16)]).toEqual([SBIN, 80650, 5000]);
    expect([p!.readUInt32BE(68), p!.readUInt32BE(128)]).toEqual([80645, 80655]); // best bid and best offer
    expect(p!.readUInt32BE(60)).toBe(Math.floor(Date.now() / 1000));
  });

  it('sends 8-byte ltp packets and 28/32-byte index packets', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: [NIFTY, INFY] });
    c.send({ a: 'mode', v: ['ltp', [INFY]] });
    c.send({ a: 'mode', v: ['full', [NIFTY]] });
    await waitFor(() => c.binary.length >= 3);
    c.binary.length = 0;
    server.setQuote(NIFTY, { last_price: 24390.5 });
    server.setQuote(INFY, { last_price: 1431.2 });
    const frames = await waitFor(() => tickFrames(c).length >= 2 && tickFrames(c));
    expect(frames.map((f) => packetsOf(f)[0]?.length)).toEqual([32, 8]);
    expect(packetsOf(frames[0]!)[0]!.readInt32BE(24)).toBe(-950);
  });

  it('stops sending ticks for unsubscribed tokens', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: [INFY] });
    await waitFor(() => tickFrames(c).length > 0);
    c.send({ a: 'unsubscribe', v: [INFY] });
    // Requests are handled in order: once SBIN's snapshot is here, the unsubscribe has been too.
    c.send({ a: 'subscribe', v: [SBIN] });
    await waitFor(() => tickFrames(c).length > 1);
    c.binary.length = 0;
    server.setQuote(INFY, { last_price: 1432 });
    server.setQuote(SBIN, { last_price: 805.5 });
    const frames = await waitFor(() => tickFrames(c).length > 0 && tickFrames(c));
    expect(frames.flatMap(packetsOf).map((p) => p.readUInt32BE(0))).toEqual([SBIN]);
  });

  it('sends 1-byte heartbeats every heartbeatMs while idle', async () => {
    const c = await connect();
    const started = Date.now();
    await waitFor(() => c.binary.length >= 3, HEARTBEAT_MS * 10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HEARTBEAT_MS * 3 - 10);
    expect(c.binary.map((f) => [...f])).toEqual([[0], [0], [0]]);
  });

  it('sends order updates as {"type":"order"} text frames', async () => {
    const c = await connect();
    const orderId = server.placeOutside({ tradingsymbol: 'INFY', transaction_type: 'BUY', quantity: 1, tag: 'wsupd' });
    const updates = await waitFor(() => c.text.some((m) => (m.data as { status: string }).status === 'COMPLETE') && c.text);
    expect(updates.every((m) => m.type === 'order')).toBe(true);
    expect(updates.at(-1)?.data).toMatchObject({ order_id: orderId, tag: 'wsupd', user_id: 'AB1234', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('answers more than 3000 tokens on one connection with an error text frame', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: Array.from({ length: 3001 }, (_, k) => k + 1) });
    const [error] = await waitFor(() => c.text.length > 0 && c.text);
    expect(error).toMatchObject({ type: 'error', data: expect.stringContaining('3000') });
  });

  it('drops every connection abruptly on dropSockets', async () => {
    const clients = [await connect(), await connect()];
    const codes = clients.map((c) => new Promise<number>((resolve) => c.ws.once('close', resolve)));
    server.faults.dropSockets();
    expect(await Promise.all(codes)).toEqual([1006, 1006]);
  });

  it('sends nothing while silenced, then heartbeats again', async () => {
    const c = await connect();
    c.send({ a: 'subscribe', v: [INFY] });
    await waitFor(() => tickFrames(c).length > 0);
    server.faults.silence(HEARTBEAT_MS * 6);
    c.binary.length = 0;
    server.setQuote(INFY, { last_price: 1433 });
    server.placeOutside({ tradingsymbol: 'INFY', transaction_type: 'SELL', quantity: 1 });
    await sleep(HEARTBEAT_MS * 3);
    expect([c.binary.length, c.text.length, c.ws.readyState]).toEqual([0, 0, c.ws.OPEN]);
    await waitFor(() => c.binary.length > 0, HEARTBEAT_MS * 10);
    expect(c.binary.map((f) => f.length)).toEqual([1]);
  });

  it('refuses the upgrade with 403 for a bad token, and for every token after expireSessions', async () => {
    await expect(refusal(`${server.wsUrl}?api_key=${server.apiKey}&access_token=wrong`)).resolves.toBe(403);
    const s = await KiteServer.start();
    try {
      const token = await newSession(s);
      await connect(s, token);
      s.faults.expireSessions();
      await expect(refusal(`${s.wsUrl}?api_key=${s.apiKey}&access_token=${token}`)).resolves.toBe(403);
    } finally {
      await s.close();
    }
  });

  it('refuses a fourth connection for one api key with 429', async () => {
    await Promise.all([connect(), connect(), connect()]);
    await expect(refusal(`${server.wsUrl}?api_key=${server.apiKey}&access_token=${accessToken}`)).resolves.toBe(429);
  });
});

describe("kiteconnect's KiteTicker against the server", () => {
  it('connects at wsUrl, decodes its ticks and reports order updates', async () => {
    // Its published types omit `root`, which it honours.
    const ticker = new KiteTicker({ api_key: server.apiKey, access_token: accessToken, reconnect: false, root: server.wsUrl } as ConstructorParameters<typeof KiteTicker>[0]);
    const ticks: Record<string, unknown>[] = [];
    const orders: Record<string, unknown>[] = [];
    ticker.on('ticks', (t: Record<string, unknown>[]) => ticks.push(...t));
    ticker.on('order_update', (o: Record<string, unknown>) => orders.push(o));
    const connected = new Promise<void>((resolve) => ticker.on('connect', () => resolve()));
    ticker.connect();
    await connected;
    ticker.subscribe([SBIN]);
    ticker.setMode('full', [SBIN]);
    await waitFor(() => ticks.some((t) => t.mode === 'full'));
    server.setQuote(SBIN, { last_price: 807 });
    await waitFor(() => ticks.some((t) => t.last_price === 807));
    const orderId = server.placeOutside({ tradingsymbol: 'SBIN', transaction_type: 'BUY', quantity: 1 });
    await waitFor(() => orders.some((o) => o.order_id === orderId && o.status === 'COMPLETE'));
    ticker.disconnect();
  });
});

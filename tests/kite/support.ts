import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KiteConnect } from 'kiteconnect';
import { WebSocket, type RawData } from 'ws';
import type { KiteServer } from './server.ts';

/** Helpers for the Kite server's own tests. */

export type Kite = InstanceType<typeof KiteConnect>;
export type OrderParams = Parameters<Kite['placeOrder']>[1];

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until probe returns something truthy; fails after timeoutMs. */
export async function waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waitFor: nothing after ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** A real kiteconnect client, logged in through the server's session exchange. */
export async function loggedIn(server: KiteServer, timeout?: number): Promise<Kite> {
  const kite = new KiteConnect({ api_key: server.apiKey, root: server.url, ...(timeout === undefined ? {} : { timeout }) });
  await kite.generateSession(server.login(), server.apiSecret);
  return kite;
}

/** What a promise rejected with; fails the test if it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e as Record<string, unknown>,
  );
}

/** A local HTTP listener collecting the JSON bodies POSTed to it. */
export async function postbackListener(): Promise<{ url: string; received: Record<string, unknown>[]; close(): Promise<void> }> {
  const received: Record<string, unknown>[] = [];
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/postback`,
    received,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

/** A plain `ws` client on the ticker, recording every frame it receives. */
export interface TickerClient {
  readonly ws: WebSocket;
  readonly binary: Buffer[];
  readonly text: Record<string, unknown>[];
  send(message: unknown): void;
}

export function tickerClient(server: KiteServer, accessToken: string): Promise<TickerClient> {
  const ws = new WebSocket(`${server.wsUrl}?api_key=${server.apiKey}&access_token=${accessToken}`);
  const client: TickerClient = { ws, binary: [], text: [], send: (m) => ws.send(JSON.stringify(m)) };
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) client.binary.push(data as Buffer);
    else client.text.push(JSON.parse(data.toString()) as Record<string, unknown>);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

/** The packets of a binary frame (int16 count, then int16 length + packet each). */
export function packetsOf(frame: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let at = 2;
  for (let n = frame.readUInt16BE(0); n > 0; n--) {
    const length = frame.readUInt16BE(at);
    packets.push(frame.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return packets;
}

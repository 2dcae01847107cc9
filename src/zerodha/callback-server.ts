import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../log.ts';

/** Kite's postback body, the fields the tracker needs (the rest is ignored). */
const Postback = z.object({
  order_id: z.string().min(1),
  order_timestamp: z.string().min(1),
  checksum: z.string().min(1),
  status: z.string().min(1),
  status_message: z.string().nullable().optional(),
  filled_quantity: z.number().int().nonnegative(),
});

export interface CallbackHandlers {
  /** A login's redirect: exchange the request token; resolves with what the browser is shown. */
  login(requestToken: string): Promise<string>;
  /** A postback whose checksum matched. */
  postback(update: { orderId: string; status: string; message: string | null | undefined; filled: number }): void;
}

/** sha256(order_id + order_timestamp + api_secret), as Kite signs a postback, compared in constant time. */
export function postbackValid(body: { order_id: string; order_timestamp: string; checksum: string }, apiSecret: string): boolean {
  const want = createHash('sha256').update(body.order_id + body.order_timestamp + apiSecret).digest();
  const got = Buffer.from(body.checksum, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

const MAX_BODY = 64 * 1024;

/**
 * Kite's two calls back into the system: the login redirect (`/kite/login?request_token=...`, the
 * redirect URL registered for the API key) and order postbacks (`/kite/postback`, JSON, signed with the
 * API secret). Anything else is a 404; a postback with a bad checksum is refused with 401 and logged.
 */
export function startCallbackServer(where: { readonly host: string; readonly port: number }, apiSecret: string, handlers: CallbackHandlers, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      log.error({ err: e }, 'Kite callback failed');
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/kite/login') {
      const token = url.searchParams.get('request_token');
      if (url.searchParams.get('status') !== 'success' || !token) return send(res, 400, 'Kite did not complete the login (no request_token): try again\n');
      try {
        return send(res, 200, `${await handlers.login(token)}\n`);
      } catch (e) {
        log.error({ err: (e as Error).message }, 'Kite login failed');
        return send(res, 403, `Kite refused the login: ${(e as Error).message}\n`);
      }
    }
    if (req.method === 'POST' && url.pathname === '/kite/postback') {
      const parsed = Postback.safeParse(await json(req));
      if (!parsed.success) return send(res, 400, `not a Kite postback: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
      if (!postbackValid(parsed.data, apiSecret)) {
        log.warn({ order: parsed.data.order_id }, 'postback refused: its checksum does not match the API secret');
        return send(res, 401, 'checksum mismatch\n');
      }
      const p = parsed.data;
      handlers.postback({ orderId: p.order_id, status: p.status, message: p.status_message, filled: p.filled_quantity });
      return send(res, 200, 'ok\n');
    }
    send(res, 404, 'not found\n');
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

async function json(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

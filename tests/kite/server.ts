import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, type KiteFaults } from './faults.ts';
import { failure, inputError, KiteError, readParams, tokenError, tooManyRequests, type Reply } from './http.ts';
import { loadInstruments, type KiteInstrument } from './instruments.ts';
import { DEFAULT_LIMITS, RateLimiter, type KiteLimits } from './limits.ts';
import { Market, type QuoteUpdate } from './market.ts';
import { parsePlacement, type Side } from './order-params.ts';
import { OrderBook, type KiteOrder, type KiteTrade } from './orders.ts';
import { postback, PostbackSender } from './postbacks.ts';
import { routes, type Route } from './routes.ts';
import { Sessions } from './sessions.ts';
import { Ticker } from './ticker.ts';
import { Timers } from './timers.ts';

export type { KiteInstrument } from './instruments.ts';
export type { KiteFaults } from './faults.ts';
export type { KiteLimits } from './limits.ts';
export type { KiteOrder, KiteTrade } from './orders.ts';
export type { Postback } from './postbacks.ts';
export type { QuoteUpdate } from './market.ts';

export interface KiteServerOptions {
  /** Default 'testkey'. */
  apiKey?: string;
  /** Default 'testsecret'. */
  apiSecret?: string;
  /** Default 'AB1234'. */
  userId?: string;
  /** Default: config/instruments.csv, each starting at its reference_price. */
  instruments?: KiteInstrument[];
  /** 0 (default): an ephemeral port; the server binds 127.0.0.1. */
  port?: number;
  /** Where GET /connect/login redirects with ?request_token=..&action=login&status=success (default: this server's /connect/redirect). */
  redirectUrl?: string;
  /** Where order updates are POSTed as JSON with Kite's checksum. */
  postbackUrl?: string;
  /** How long a MARKET order stays OPEN before it fills (default 50). */
  fillDelayMs?: number;
  /** A MARKET order fills in this many trades, fillDelayMs apart, each its own trade_id (default 1). */
  partialFills?: number;
  /** Defaults: 10 requests/s; orders 10/s, 400/min, 5000/day; 25 modifications per order; quotes 1/s. */
  limits?: Partial<KiteLimits>;
  /** The ticker's heartbeat (a 1-byte binary frame) after this long without another frame (default 1000). */
  heartbeatMs?: number;
}

/** An HTTP request the server answered; status 0 when a fault destroyed the connection instead. */
export interface RequestRecord {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** An order accepted by POST /orders/:variety. */
export interface Placement {
  readonly at: number;
  readonly order_id: string;
  readonly tag: string | null;
}

/** An order made outside the system (on Kite web, say): defaults NSE, MIS, MARKET. */
export interface OutsideOrder {
  tradingsymbol: string;
  exchange?: string;
  transaction_type: Side;
  quantity: number;
  product?: string;
  order_type?: string;
  price?: number;
  tag?: string;
}

/**
 * A local stand-in for api.kite.trade and ws.kite.trade: Kite Connect v3's REST API (as the official
 * kiteconnect client calls it), its login flow, postbacks and binary ticker, with an order book driven by
 * quotes the test sets, Kite's rate limits, and injectable faults.
 */
export class KiteServer {
  /** The REST root, for KiteConnect's `root`. */
  readonly url: string;
  /** The ticker endpoint; connect with ?api_key=&access_token=. */
  readonly wsUrl: string;
  /** The app's credentials and the account's user id, as configured. */
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly userId: string;
  /** Every HTTP request answered, in order. */
  readonly requests: RequestRecord[] = [];
  /** Every order accepted by POST /orders/:variety, in order. */
  readonly placements: Placement[] = [];
  /** Failures to inject; see KiteFaults. */
  readonly faults: KiteFaults;

  private readonly http: Server;
  private readonly timers = new Timers();
  private readonly sessions: Sessions;
  private readonly market: Market;
  private readonly book: OrderBook;
  private readonly ticker: Ticker;
  private readonly limiter: RateLimiter;
  private readonly injected: Faults;
  private readonly postbacks: PostbackSender | undefined;
  private readonly table: Route[];

  private constructor(http: Server, o: KiteServerOptions, instruments: KiteInstrument[]) {
    this.http = http;
    this.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    this.wsUrl = `${this.url.replace('http', 'ws')}/ws`;
    this.apiKey = o.apiKey ?? 'testkey';
    this.apiSecret = o.apiSecret ?? 'testsecret';
    this.userId = o.userId ?? 'AB1234';
    const limits: KiteLimits = { ...DEFAULT_LIMITS, ...o.limits };
    this.sessions = new Sessions(this.apiKey, this.apiSecret);
    this.market = new Market(instruments, Date.now());
    this.limiter = new RateLimiter(limits);
    this.ticker = new Ticker({ market: this.market, authorised: (key, token) => this.sessions.valid(key, token), heartbeatMs: o.heartbeatMs ?? 1000 });
    this.postbacks = o.postbackUrl === undefined ? undefined : new PostbackSender(o.postbackUrl);
    this.book = new OrderBook({
      market: this.market,
      timers: this.timers,
      userId: this.userId,
      fillDelayMs: o.fillDelayMs ?? 50,
      partialFills: o.partialFills ?? 1,
      modificationsPerOrder: limits.modificationsPerOrder,
      onUpdate: (order, event) => {
        const update = postback(order, event, this.userId, this.apiSecret);
        this.postbacks?.send(update);
        this.ticker.orderUpdate(update);
      },
    });
    this.injected = new Faults({
      expireSessions: () => this.sessions.expireAll(),
      dropSockets: () => this.ticker.dropAll(),
      silence: (ms) => this.ticker.silence(ms),
    });
    this.faults = this.injected;
    this.table = routes({
      apiKey: this.apiKey,
      userId: this.userId,
      redirectUrl: o.redirectUrl ?? `${this.url}/connect/redirect`,
      sessions: this.sessions,
      market: this.market,
      book: this.book,
      limiter: this.limiter,
      faults: this.injected,
      placed: (order_id, tag, at) => this.placements.push({ at, order_id, tag }),
    });
    http.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    http.on('upgrade', (req, socket, head) => this.ticker.upgrade(req, socket, head));
  }

  /** Listens on 127.0.0.1 (o.port, default ephemeral) and resolves once it accepts connections. */
  static async start(o: KiteServerOptions = {}): Promise<KiteServer> {
    const instruments = o.instruments ?? loadInstruments();
    const http = createServer();
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(o.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new KiteServer(http, o, instruments);
  }

  /** Kite's login page for this app; GET it for a 302 to redirectUrl with a fresh request_token. */
  loginUrl(): string {
    return `${this.url}/connect/login?v=3&api_key=${encodeURIComponent(this.apiKey)}`;
  }

  /** As if the user logged in on Kite: a fresh request token (single use, valid 5 minutes). */
  login(): string {
    return this.sessions.login(Date.now());
  }

  /** Moves the market: subscribers get ticks in their modes, then open orders the new quote crosses execute. */
  setQuote(token: number, q: QuoteUpdate): void {
    this.market.set(token, q, Date.now());
    this.ticker.publish(token);
    this.book.onQuote(token);
  }

  /** The instrument's current touch, or undefined while it has no quote. */
  quote(token: number): { last_price: number; bid: number; ask: number } | undefined {
    const s = this.market.state(token);
    return s && { last_price: s.last_price, bid: s.bid, ask: s.ask };
  }

  /** Places an order as Kite web would (no HTTP request, not in `placements`); it goes through the same lifecycle. Returns its order_id. */
  placeOutside(p: OutsideOrder): string {
    const params = new URLSearchParams({
      exchange: p.exchange ?? 'NSE',
      tradingsymbol: p.tradingsymbol,
      transaction_type: p.transaction_type,
      quantity: String(p.quantity),
      product: p.product ?? 'MIS',
      order_type: p.order_type ?? 'MARKET',
    });
    if (p.price !== undefined) params.set('price', String(p.price));
    if (p.tag !== undefined) params.set('tag', p.tag);
    return this.book.place(parsePlacement('regular', params, this.market), this.injected.takeRejection());
  }

  /** The instruments it lists and quotes. */
  instruments(): KiteInstrument[] {
    return this.market.instruments();
  }

  /** The day's orders, as GET /orders returns them. */
  orders(): KiteOrder[] {
    return this.book.orders();
  }

  /** The day's trades, as GET /trades returns them. */
  trades(): KiteTrade[] {
    return this.book.trades();
  }

  /** Stops every timer, postback and connection; resolves when the port is free. */
  async close(): Promise<void> {
    this.timers.clearAll();
    this.postbacks?.close();
    await this.ticker.close();
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    // A request is recorded at the instant it arrived whole (when the request limit counts it), not when
    // its answer went out: on a loaded machine answers bunch up, arrivals are what Kite's limit sees.
    const arrival: { at?: number } = {};
    let reply: Reply;
    try {
      reply = await this.answer(req, url, arrival);
    } catch (e) {
      reply = failure(e instanceof KiteError ? e : new KiteError(500, 'GeneralException', (e as Error).message));
    }
    if (this.injected.latencyMs > 0) await this.timers.sleep(this.injected.latencyMs);
    const at = arrival.at ?? Date.now();
    const record = (status: number): void => void this.requests.push({ at, method: req.method ?? '', path: url.pathname, status });
    switch (reply.kind) {
      case 'drop':
        record(0);
        req.socket.destroy();
        return;
      case 'redirect':
        res.writeHead(302, { location: reply.location }).end();
        return record(302);
      case 'csv':
        // Exactly 'text/csv': kiteconnect parses the instruments only when the content-type equals it.
        res.writeHead(200, { 'content-type': 'text/csv' }).end(reply.body);
        return record(200);
      case 'json':
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        return record(reply.status);
    }
  }

  /** The pipeline: injected faults, the route, Kite's version header, the request limit, then the access token. */
  private async answer(req: IncomingMessage, url: URL, arrival: { at?: number }): Promise<Reply> {
    const params = await readParams(req, url);
    arrival.at = Date.now();
    if (this.injected.takeTooMany()) throw tooManyRequests();
    const serverError = this.injected.takeServerError();
    if (serverError === 503) throw new KiteError(503, 'NetworkException', 'Service Unavailable');
    if (serverError === 500) throw new KiteError(500, 'GeneralException', 'Internal server error');
    for (const route of this.table) {
      const match = req.method === route.method ? route.pattern.exec(url.pathname) : null;
      if (!match) continue;
      const args = { ...match.groups };
      if (route.access === 'browser') return route.handle({ args, params, apiKey: '' });
      if (req.headers['x-kite-version'] !== '3') throw inputError('Missing or invalid `X-Kite-Version` header: this server speaks Kite Connect v3.');
      const auth = /^token ([^:]+):(.+)$/.exec(req.headers.authorization ?? '');
      const apiKey = auth?.[1] ?? params.get('api_key') ?? '';
      if (!this.limiter.request(apiKey, arrival.at)) throw tooManyRequests();
      if (route.access === 'token' && !(auth && this.sessions.valid(auth[1]!, auth[2]!))) throw tokenError();
      return route.handle({ args, params, apiKey });
    }
    throw new KiteError(404, 'GeneralException', 'Route not found');
  }
}

import { margins, profile, session } from './account.ts';
import { inputError, success, tokenError, tooManyRequests, type Reply } from './http.ts';
import { instrumentsCsv } from './instruments.ts';
import { istDateTime } from './ist.ts';
import type { Market } from './market.ts';
import { parsePlacement } from './order-params.ts';
import type { OrderBook } from './orders.ts';
import { positions } from './positions.ts';
import { roundToTick } from './prices.ts';
import type { RateLimiter } from './limits.ts';
import type { Faults } from './faults.ts';
import { kiteToken, type Sessions } from './sessions.ts';

/** The price band quotes report, as NSE's widest for equities. */
const CIRCUIT_BAND = 0.2;

/** What the routes act on. */
export interface RouteContext {
  readonly apiKey: string;
  readonly userId: string;
  readonly redirectUrl: string;
  readonly sessions: Sessions;
  readonly market: Market;
  readonly book: OrderBook;
  readonly limiter: RateLimiter;
  readonly faults: Faults;
  /** An order accepted by POST /orders/:variety. */
  readonly placed: (orderId: string, tag: string | null, at: number) => void;
}

/** One request, once the pipeline has admitted it. */
export interface Call {
  readonly args: Record<string, string>;
  readonly params: URLSearchParams;
  /** The API key the request presented (Authorization header, else its api_key parameter). */
  readonly apiKey: string;
}

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** browser: kite.zerodha.com's login pages, outside the API (no version header, no limits); public: no access token needed. */
  readonly access: 'browser' | 'public' | 'token';
  readonly handle: (call: Call) => Reply;
}

/** `/orders/:variety` -> a regex with named groups. */
function path(template: string): RegExp {
  return new RegExp(`^${template.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`);
}

const required = (p: URLSearchParams, name: string): string => {
  const v = p.get(name);
  if (!v) throw inputError(`Missing or empty \`${name}\`.`);
  return v;
};

export function routes(ctx: RouteContext): Route[] {
  const route = (method: string, template: string, access: Route['access'], handle: Route['handle']): Route => ({ method, pattern: path(template), access, handle });
  const regular = (variety: string | undefined): void => {
    if (variety !== 'regular') throw inputError('Invalid `variety`.');
  };
  const quotes = (call: Call, shape: (token: number) => unknown): Reply => {
    if (!ctx.limiter.quote(call.apiKey, Date.now())) throw tooManyRequests();
    const keys = call.params.getAll('i');
    if (keys.length === 0) throw inputError('Missing `i`: instruments as EXCHANGE:TRADINGSYMBOL.');
    const data: Record<string, unknown> = {};
    for (const key of keys) {
      const [exchange = '', symbol = ''] = key.split(/:(.*)/);
      const token = ctx.market.find(exchange, symbol)?.instrument_token;
      if (token !== undefined && ctx.market.state(token)) data[key] = shape(token);
    }
    return success(data);
  };
  const state = (token: number) => ctx.market.state(token)!;

  return [
    route('GET', '/connect/login', 'browser', ({ params }) => {
      if (params.get('api_key') !== ctx.apiKey) throw inputError('Invalid `api_key`.');
      const target = new URL(ctx.redirectUrl);
      target.searchParams.set('request_token', ctx.sessions.login(Date.now()));
      target.searchParams.set('action', 'login');
      target.searchParams.set('status', 'success');
      return { kind: 'redirect', location: target.toString() };
    }),
    // Where the login lands when no redirectUrl was given: shows the request token.
    route('GET', '/connect/redirect', 'browser', ({ params }) => success(Object.fromEntries(params))),
    route('POST', '/session/token', 'public', ({ params }) => {
      const access_token = ctx.sessions.exchange(required(params, 'api_key'), required(params, 'request_token'), required(params, 'checksum'), Date.now());
      return success(session(ctx.userId, ctx.apiKey, { access_token, public_token: kiteToken(), enctoken: kiteToken() }, istDateTime(Date.now())));
    }),
    route('DELETE', '/session/token', 'public', ({ params }) => {
      const token = required(params, 'access_token');
      if (!ctx.sessions.valid(required(params, 'api_key'), token)) throw tokenError();
      ctx.sessions.logout(token);
      return success(true);
    }),
    route('GET', '/user/profile', 'token', () => success(profile(ctx.userId))),
    route('GET', '/user/margins', 'token', () => success(margins())),
    route('GET', '/user/margins/:segment', 'token', ({ args }) => success(margins(args.segment))),
    route('GET', '/instruments', 'token', () => ({ kind: 'csv', body: instrumentsCsv(ctx.market.instruments()) })),
    route('GET', '/instruments/:exchange', 'token', ({ args }) => ({ kind: 'csv', body: instrumentsCsv(ctx.market.instruments().filter((i) => i.exchange === args.exchange)) })),
    route('GET', '/quote', 'token', (call) => quotes(call, (token) => {
      const s = state(token);
      const { depth, ...tick } = ctx.market.tick(s);
      return {
        instrument_token: token,
        timestamp: istDateTime(s.timestamp),
        last_trade_time: s.last_trade_time === 0 ? null : istDateTime(s.last_trade_time),
        last_price: tick.last_price,
        last_quantity: tick.last_quantity,
        buy_quantity: tick.buy_quantity,
        sell_quantity: tick.sell_quantity,
        volume: tick.volume,
        average_price: tick.average_price,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        net_change: 0,
        lower_circuit_limit: roundToTick(s.close * (1 - CIRCUIT_BAND), s.instrument.tick_size),
        upper_circuit_limit: roundToTick(s.close * (1 + CIRCUIT_BAND), s.instrument.tick_size),
        ohlc: tick.ohlc,
        depth,
      };
    })),
    route('GET', '/quote/ltp', 'token', (call) => quotes(call, (token) => ({ instrument_token: token, last_price: state(token).last_price }))),
    route('GET', '/quote/ohlc', 'token', (call) => quotes(call, (token) => {
      const s = state(token);
      return { instrument_token: token, last_price: s.last_price, ohlc: { open: s.open, high: s.high, low: s.low, close: s.close } };
    })),
    route('POST', '/orders/:variety', 'token', ({ args, params, apiKey }) => {
      // A placement is recorded at the instant the order limit admitted it, so what the tests count is
      // what the limit counted.
      const now = Date.now();
      if (!ctx.limiter.order(apiKey, now)) throw tooManyRequests();
      const request = parsePlacement(args.variety ?? '', params, ctx.market);
      const orderId = ctx.book.place(request, ctx.faults.takeRejection());
      ctx.placed(orderId, request.tag, now);
      if (ctx.faults.takeDrop()) return { kind: 'drop' };
      return success({ order_id: orderId });
    }),
    route('PUT', '/orders/:variety/:order_id', 'token', ({ args, params }) => {
      regular(args.variety);
      ctx.book.modify(args.order_id ?? '', params);
      return success({ order_id: args.order_id });
    }),
    route('DELETE', '/orders/:variety/:order_id', 'token', ({ args }) => {
      regular(args.variety);
      ctx.book.cancel(args.order_id ?? '');
      return success({ order_id: args.order_id });
    }),
    route('GET', '/orders', 'token', () => success(ctx.book.orders())),
    route('GET', '/orders/:order_id', 'token', ({ args }) => success(ctx.book.history(args.order_id ?? ''))),
    route('GET', '/orders/:order_id/trades', 'token', ({ args }) => success(ctx.book.trades(args.order_id ?? ''))),
    route('GET', '/trades', 'token', () => success(ctx.book.trades())),
    route('GET', '/portfolio/positions', 'token', () => success(positions(ctx.book.trades(), ctx.market))),
  ];
}

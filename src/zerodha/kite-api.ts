import { KiteConnect } from 'kiteconnect';
import { z } from 'zod';
import { KiteError, type KiteErrorType } from '../errors.ts';
import { kiteTime } from './ist-time.ts';
import type { SendGate } from './send-gate.ts';

type Kite = InstanceType<typeof KiteConnect>;

/** The rate windows a request counts against: every request, and order placements besides. */
export const REQUEST = ['requests'] as const;
export const ORDER = ['requests', 'ordersSecond', 'ordersMinute'] as const;

/**
 * Kite gives times as IST wall-clock text; kiteconnect turns some of them into a `Date` parsed in the
 * process's own time zone (formatResponse: `new Date("2022-03-03 09:24:25")`). Either way the wall-clock
 * fields are read back and interpreted as IST, so a container on UTC gets the same instant as Mumbai.
 */
const KiteTime = z
  .union([z.string(), z.date(), z.null()])
  .optional()
  .transform((v, ctx) => {
    const p = (n: number) => String(n).padStart(2, '0');
    const text = v instanceof Date ? `${v.getFullYear()}-${p(v.getMonth() + 1)}-${p(v.getDate())} ${p(v.getHours())}:${p(v.getMinutes())}:${p(v.getSeconds())}` : v;
    if (!text || text.length !== 19) return null;
    try {
      return kiteTime(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

export const KiteOrder = z.object({
  order_id: z.string(),
  status: z.string(),
  status_message: z.string().nullable().optional(),
  tag: z.string().nullable().optional(),
  exchange: z.string(),
  tradingsymbol: z.string(),
  instrument_token: z.coerce.number(),
  transaction_type: z.enum(['BUY', 'SELL']),
  quantity: z.number(),
  filled_quantity: z.number(),
  pending_quantity: z.number().optional(),
  average_price: z.number(),
  order_timestamp: KiteTime,
  exchange_timestamp: KiteTime,
});
export type KiteOrder = z.infer<typeof KiteOrder>;

export const KiteTrade = z.object({
  trade_id: z.coerce.string(),
  order_id: z.string(),
  exchange: z.string(),
  tradingsymbol: z.string(),
  instrument_token: z.coerce.number(),
  transaction_type: z.enum(['BUY', 'SELL']),
  quantity: z.number(),
  average_price: z.number(),
  fill_timestamp: KiteTime,
});
export type KiteTrade = z.infer<typeof KiteTrade>;

export const KitePosition = z.object({ tradingsymbol: z.string(), exchange: z.string(), instrument_token: z.coerce.number(), product: z.string(), quantity: z.number() });
export type KitePosition = z.infer<typeof KitePosition>;

const Session = z.object({ user_id: z.string(), access_token: z.string(), login_time: KiteTime, user_name: z.string().optional() });

/** What the execution client places: Kite's parameters for a regular order. */
export interface PlaceOrder {
  readonly exchange: string;
  readonly tradingsymbol: string;
  readonly transaction_type: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly product: 'MIS' | 'CNC' | 'NRML';
  readonly order_type: 'MARKET' | 'LIMIT';
  readonly price?: number;
  readonly validity: 'DAY';
  readonly tag: string;
}

export interface KiteApiOptions {
  readonly apiKey: string;
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly gate: SendGate;
  /** Called on every TokenException: the session has ended. */
  readonly onSessionEnded?: (error: KiteError) => void;
  /** Told of list entries (an order, a trade) that do not parse: dropped from the list, not the list. */
  readonly onUnreadable?: (what: string, problem: string, entry: unknown) => void;
}

const ERROR_TYPES = new Set<string>(['TokenException', 'PermissionException', 'UserException', 'InputException', 'OrderException', 'MarginException', 'HoldingException', 'NetworkException', 'DataException', 'GeneralException']);

/**
 * kiteconnect rejects with plain objects (`{error_type, message}`), and drops the HTTP status: a 429
 * arrives as a NetworkException whose message is the status text. Turned here into a KiteError whose
 * `retriable` says whether the same request may succeed later.
 */
export function kiteErrorOf(e: unknown): KiteError {
  if (e instanceof KiteError) return e;
  const o = (e && typeof e === 'object' ? e : {}) as { error_type?: unknown; message?: unknown };
  const type = (typeof o.error_type === 'string' && ERROR_TYPES.has(o.error_type) ? o.error_type : 'GeneralException') as KiteErrorType;
  const message = typeof o.message === 'string' && o.message ? o.message : e instanceof Error ? e.message : JSON.stringify(e);
  const rateLimited = type === 'NetworkException' && /too many requests/i.test(message);
  const retriable = type === 'NetworkException' || type === 'GeneralException' || type === 'DataException';
  return new KiteError(type, message, { retriable, rateLimited, cause: e });
}

/**
 * The one place the system talks to Kite's REST API: kiteconnect's client behind a wrapper that waits for
 * the rate gate before each request, copies the parameters it passes (placeOrder mutates them), checks
 * every answer with a schema (a 2xx of an unexpected content type resolves with an error object in
 * kiteconnect; here it is an error), and turns failures into KiteErrors.
 */
export class KiteApi {
  private readonly client: Kite;
  private readonly options: KiteApiOptions;

  constructor(options: KiteApiOptions) {
    this.options = options;
    this.client = new KiteConnect({ api_key: options.apiKey, root: options.apiUrl, timeout: options.timeoutMs });
  }

  setAccessToken(token: string | undefined): void {
    this.client.setAccessToken(token ?? '');
  }

  /** Exchanges a login's request_token (the checksum is made from the secret, which is never sent). */
  async generateSession(requestToken: string, apiSecret: string): Promise<{ userId: string; accessToken: string; userName: string | undefined; loginTime: number | null }> {
    const s = await this.call(REQUEST, Session, () => this.client.generateSession(requestToken, apiSecret));
    return { userId: s.user_id, accessToken: s.access_token, userName: s.user_name, loginTime: s.login_time };
  }

  async invalidate(accessToken: string): Promise<void> {
    await this.call(REQUEST, z.unknown(), () => this.client.invalidateAccessToken(accessToken));
  }

  profile(): Promise<{ user_id: string; user_name?: string | undefined }> {
    return this.call(REQUEST, z.object({ user_id: z.string(), user_name: z.string().optional() }), () => this.client.getProfile());
  }

  /** Places a regular order; resolves with Kite's order id. */
  async placeOrder(p: PlaceOrder): Promise<string> {
    const r = await this.call(ORDER, z.object({ order_id: z.coerce.string() }), () => this.client.placeOrder('regular', { ...p } as Parameters<Kite['placeOrder']>[1]));
    return r.order_id;
  }

  orders(): Promise<KiteOrder[]> {
    return this.list('order', KiteOrder, () => this.client.getOrders());
  }

  orderTrades(orderId: string): Promise<KiteTrade[]> {
    return this.list('trade', KiteTrade, () => this.client.getOrderTrades(orderId));
  }

  trades(): Promise<KiteTrade[]> {
    return this.list('trade', KiteTrade, () => this.client.getTrades());
  }

  /** A list whose entries are checked one by one: one odd order must not hide the day's others. */
  private async list<T>(what: string, schema: z.ZodType<T>, send: () => Promise<unknown>): Promise<T[]> {
    const out: T[] = [];
    for (const entry of await this.call(REQUEST, z.array(z.unknown()), send)) {
      const r = schema.safeParse(entry);
      if (r.success) out.push(r.data);
      else this.options.onUnreadable?.(what, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), entry);
    }
    return out;
  }

  /** The day's positions: what today's trades made (net would count overnight carry of NRML futures too). */
  async positions(): Promise<KitePosition[]> {
    return (await this.call(REQUEST, z.object({ day: z.array(KitePosition) }), () => this.client.getPositions())).day;
  }

  private async call<T>(windows: readonly string[], schema: z.ZodType<T>, send: () => Promise<unknown>): Promise<T> {
    await this.options.gate.acquire(windows);
    let answer: unknown;
    try {
      answer = await send();
    } catch (e) {
      const error = kiteErrorOf(e);
      if (error.sessionExpired) this.options.onSessionEnded?.(error);
      throw error;
    }
    if (answer && typeof answer === 'object' && 'error_type' in answer) throw kiteErrorOf(answer);
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw new KiteError('DataException', `unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`).join('; ')}`, { retriable: false });
    return parsed.data;
  }
}

import { readFileSync } from 'node:fs';
import { KiteConnect } from 'kiteconnect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KiteServer } from './server.ts';
import { loggedIn, postbackListener, rejection, waitFor, type Kite, type OrderParams } from './support.ts';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../fixtures/kite/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const keysOf = (v: unknown): string[] => Object.keys(v as object).sort();

const RELIANCE = 738561; // tick 0.10, reference 1385.00
const INFY = 408065; // tick 0.10, reference 1430.00
const SBIN = 779521; // tick 0.05, reference 805.00
const ITC = 424961; // tick 0.05, reference 415.00
const TCS = 2953217; // tick 0.10, reference 3030.00

const market = (tradingsymbol: string, quantity = 1, extra: Partial<OrderParams> = {}): OrderParams => ({
  exchange: 'NSE',
  tradingsymbol,
  transaction_type: 'BUY',
  quantity,
  product: 'MIS',
  order_type: 'MARKET',
  ...extra,
});

/** Runs a body against a fresh server, closed afterwards. */
async function withServer(o: Parameters<typeof KiteServer.start>[0], body: (s: KiteServer) => Promise<void>): Promise<void> {
  const s = await KiteServer.start(o);
  try {
    await body(s);
  } finally {
    await s.close();
  }
}

let server: KiteServer;
let kite: Kite;

beforeAll(async () => {
  // Limits out of the way: the rate-limit tests run their own servers with Kite's.
  server = await KiteServer.start({ limits: { requestsPerSecond: 1000, ordersPerSecond: 1000, quotesPerSecond: 1000 } });
  kite = await loggedIn(server);
});

afterAll(async () => {
  await server.close();
});

const statusOf = (orderId: string): string | undefined => server.orders().find((o) => (o as { order_id: string }).order_id === orderId)?.status;

describe('session', () => {
  it("exchanges a request token with the right checksum for an access token, in generate_session.json's shape", async () => {
    const client = new KiteConnect({ api_key: server.apiKey, root: server.url });
    const s = await client.generateSession(server.login(), server.apiSecret);
    expect(keysOf(s)).toEqual(keysOf(fixture('generate_session.json').data));
    expect(s).toMatchObject({ user_id: 'AB1234', api_key: 'testkey' });
    expect(s.access_token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await client.getProfile()).toMatchObject({ user_id: 'AB1234', broker: 'ZERODHA' });
  });

  it('refuses a wrong checksum with 403 TokenException (which fires the session expiry hook), leaving the request token usable once', async () => {
    const client = new KiteConnect({ api_key: server.apiKey, root: server.url });
    let hooked = 0;
    client.setSessionExpiryHook(() => hooked++);
    const token = server.login();
    expect(await rejection(client.generateSession(token, 'not-the-secret'))).toMatchObject({ status: 'error', error_type: 'TokenException', message: 'Invalid `checksum`.', data: null });
    expect(hooked).toBe(1);
    await client.generateSession(token, server.apiSecret);
    expect(await rejection(client.generateSession(token, server.apiSecret))).toMatchObject({ error_type: 'TokenException', message: 'Token is invalid or has expired.' });
  });

  it('redirects the login URL to redirectUrl with a fresh request token', async () => {
    await withServer({ redirectUrl: 'http://127.0.0.1:1/app/kite?from=test' }, async (s) => {
      const res = await fetch(s.loginUrl(), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const target = new URL(res.headers.get('location')!);
      expect(`${target.origin}${target.pathname}`).toBe('http://127.0.0.1:1/app/kite');
      expect(Object.fromEntries(target.searchParams)).toMatchObject({ from: 'test', action: 'login', status: 'success' });
      const client = new KiteConnect({ api_key: s.apiKey, root: s.url });
      await client.generateSession(target.searchParams.get('request_token')!, s.apiSecret);
    });
  });

  it('invalidates the access token on logout', async () => {
    const client = await loggedIn(server);
    expect(await client.invalidateAccessToken()).toBe(true);
    expect(await rejection(client.getProfile())).toMatchObject({ error_type: 'TokenException', message: 'Incorrect `api_key` or `access_token`.' });
  });

  it('answers a request without the X-Kite-Version header with 400 InputException', async () => {
    const res = await fetch(`${server.url}/user/profile`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', error_type: 'InputException', data: null });
  });
});

describe('orders', () => {
  it('takes a tagged MARKET order through PUT ORDER REQ RECEIVED ... OPEN to COMPLETE, filled at the ask', async () => {
    const { order_id } = await kite.placeOrder('regular', market('RELIANCE', 2, { tag: 'sig42a' }));
    expect(server.placements.at(-1)).toMatchObject({ order_id, tag: 'sig42a' });
    const listed = (await kite.getOrders()).find((o) => o.order_id === order_id);
    expect(listed).toMatchObject({ tag: 'sig42a', tags: ['sig42a'] });
    await waitFor(() => statusOf(order_id) === 'COMPLETE');
    const history = await kite.getOrderHistory(order_id);
    expect(history.map((h) => h.status)).toEqual(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING', 'OPEN', 'COMPLETE']);
    expect(keysOf(history[0])).toEqual(expect.arrayContaining(keysOf((fixture('order_info.json').data as object[])[0])));
    expect(history.at(-1)).toMatchObject({ filled_quantity: 2, pending_quantity: 0, average_price: 1385.1, exchange_order_id: expect.stringMatching(/^\d{16}$/) });
    const trades = await kite.getOrderTrades(order_id);
    expect(trades).toMatchObject([{ order_id, quantity: 2, average_price: 1385.1, transaction_type: 'BUY', tradingsymbol: 'RELIANCE' }]);
    expect(keysOf(trades[0])).toEqual(keysOf((fixture('trades.json').data as object[])[0]));
    const tagged = (fixture('orders.json').data as { order_id: string }[]).find((o) => o.order_id === '1953341975595868160');
    expect(keysOf(listed)).toEqual(keysOf(tagged));
    // kiteconnect turns 19-character times into Dates read in the process's own time zone; exchange_update_timestamp it leaves a string.
    expect(listed?.order_timestamp).toBeInstanceOf(Date);
    expect(typeof (history.at(-1) as Record<string, unknown>).exchange_update_timestamp).toBe('string');
  });

  it('fills a MARKET order in 3 trades with their own trade ids, OPEN until the last', async () => {
    await withServer({ partialFills: 3, fillDelayMs: 20 }, async (s) => {
      const client = await loggedIn(s);
      const { order_id } = await client.placeOrder('regular', market('SBIN', 10, { transaction_type: 'SELL' }));
      await waitFor(() => s.orders().some((o) => o.order_id === order_id && o.status === 'COMPLETE'));
      const trades = await client.getOrderTrades(order_id);
      expect(trades.map((t) => t.quantity)).toEqual([3, 3, 4]);
      expect(new Set(trades.map((t) => t.trade_id)).size).toBe(3);
      expect(trades.every((t) => t.average_price === 804.95)).toBe(true);
      const history = await client.getOrderHistory(order_id);
      expect(history.slice(3).map((h) => [h.status, h.filled_quantity, h.pending_quantity])).toEqual([
        ['OPEN', 0, 10],
        ['OPEN', 3, 7],
        ['OPEN', 6, 4],
        ['COMPLETE', 10, 0],
      ]);
    });
  });

  it('posts every update to postbackUrl with a checksum kiteconnect validates, partial fills as UPDATE', async () => {
    const listener = await postbackListener();
    await withServer({ postbackUrl: listener.url, partialFills: 2, fillDelayMs: 10 }, async (s) => {
      const client = await loggedIn(s);
      const { order_id } = await client.placeOrder('regular', market('INFY', 2, { tag: 'pb1' }));
      const received = await waitFor(() => listener.received.some((p) => p.status === 'COMPLETE') && listener.received);
      expect(received.map((p) => p.status)).toEqual(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING', 'OPEN', 'UPDATE', 'COMPLETE']);
      for (const p of received) expect(client.validatePostback(p as { order_id: string; checksum: string; order_timestamp: string }, s.apiSecret)).toBe(true);
      expect(keysOf(received.at(-1))).toEqual(keysOf({ ...fixture('postback.json'), tags: [] }));
      expect(received.at(-1)).toMatchObject({ order_id, user_id: 'AB1234', tag: 'pb1', filled_quantity: 2, unfilled_quantity: 0 });
    });
    await listener.close();
  });

  it('fills a LIMIT order only once the market crosses its price, at its price', async () => {
    const { order_id } = await kite.placeOrder('regular', market('ITC', 5, { order_type: 'LIMIT', price: 410 }));
    await waitFor(() => statusOf(order_id) === 'OPEN');
    server.setQuote(ITC, { last_price: 411 });
    expect(statusOf(order_id)).toBe('OPEN');
    server.setQuote(ITC, { last_price: 408, bid: 407.9, ask: 408.1 });
    expect(await kite.getOrderTrades(order_id)).toMatchObject([{ quantity: 5, average_price: 410 }]);
    expect(statusOf(order_id)).toBe('COMPLETE');
  });

  it('cancels an OPEN order, and refuses to cancel it twice', async () => {
    const { order_id } = await kite.placeOrder('regular', market('TCS', 1, { order_type: 'LIMIT', price: 2900 }));
    await waitFor(() => statusOf(order_id) === 'OPEN');
    expect(await kite.cancelOrder('regular', order_id)).toEqual({ order_id });
    expect((await kite.getOrderHistory(order_id)).at(-1)).toMatchObject({ status: 'CANCELLED', cancelled_quantity: 1, filled_quantity: 0 });
    expect(await rejection(kite.cancelOrder('regular', order_id))).toMatchObject({ error_type: 'OrderException', message: 'Order cannot be cancelled as it is in CANCELLED state.' });
  });

  it('accepts 25 modifications of an order and refuses the 26th with 400 OrderException', async () => {
    const { order_id } = await kite.placeOrder('regular', market('TCS', 1, { order_type: 'LIMIT', price: 2800 }));
    await waitFor(() => statusOf(order_id) === 'OPEN');
    for (let k = 1; k <= 25; k++) await kite.modifyOrder('regular', order_id, { price: 2800 + k / 10 });
    expect(await rejection(kite.modifyOrder('regular', order_id, { price: 2850 }))).toMatchObject({ error_type: 'OrderException', message: 'Maximum allowed order modifications exceeded.' });
    expect(server.orders().find((o) => o.order_id === order_id)).toMatchObject({ status: 'OPEN', price: 2802.5, modified: true });
    expect(server.requests.at(-1)).toMatchObject({ method: 'PUT', status: 400 });
    await kite.cancelOrder('regular', order_id);
  });

  it('fills a LIMIT order modified to a marketable price at the touch', async () => {
    const { order_id } = await kite.placeOrder('regular', market('TCS', 1, { order_type: 'LIMIT', price: 2990 }));
    await waitFor(() => statusOf(order_id) === 'OPEN');
    await kite.modifyOrder('regular', order_id, { price: 3040 });
    const history = await kite.getOrderHistory(order_id);
    expect(history.slice(-4).map((h) => h.status)).toEqual(['MODIFY VALIDATION PENDING', 'MODIFY PENDING', 'OPEN', 'COMPLETE']);
    expect(history.at(-1)).toMatchObject({ price: 3040, average_price: 3030.1 });
  });

  it('rejects the orders rejectNext names after accepting them, with its reason', async () => {
    server.faults.rejectNext(1, 'RMS:Blocked for testing');
    const { order_id } = await kite.placeOrder('regular', market('RELIANCE'));
    await waitFor(() => statusOf(order_id) === 'REJECTED');
    expect((await kite.getOrderHistory(order_id)).map((h) => h.status)).toEqual(['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'REJECTED']);
    expect(server.orders().find((o) => o.order_id === order_id)).toMatchObject({ status_message: 'RMS:Blocked for testing', exchange_order_id: null, filled_quantity: 0 });
    server.faults.rejectNext(1);
    const second = await kite.placeOrder('regular', market('RELIANCE'));
    await waitFor(() => statusOf(second.order_id) === 'REJECTED');
    expect(server.orders().find((o) => o.order_id === second.order_id)?.status_message).toMatch(/^Insufficient funds\. Required margin is 1385\.10/);
  });

  it.each([
    ['an unknown symbol', { tradingsymbol: 'NOSUCH' }, 'The instrument you are placing an order for has either expired or does not exist.'],
    ['an index', { tradingsymbol: 'NIFTY 50' }, 'The instrument you are placing an order for has either expired or does not exist.'],
    ['a quantity off the lot size', { exchange: 'NFO', tradingsymbol: 'NIFTY25AUGFUT', product: 'NRML', quantity: 50 }, 'Quantity should be a multiple of the lot size (75).'],
    ['a zero quantity', { quantity: 0 }, 'Invalid `quantity`.'],
    ['a tag over 20 characters', { tag: 'a'.repeat(21) }, 'Invalid `tag`: at most 20 alphanumeric characters.'],
    ['a tag that is not alphanumeric', { tag: 'sig-1' }, 'Invalid `tag`: at most 20 alphanumeric characters.'],
    ['a LIMIT order without a price', { order_type: 'LIMIT' }, 'Invalid `price`.'],
    ['a price off the tick', { order_type: 'LIMIT', price: 1385.05 }, 'Tick size for this script is 0.1. Kindly enter price in the multiple of tick size for this script'],
    ['a stop-loss buy triggering below the market', { order_type: 'SL-M', trigger_price: 1300 }, 'Trigger price for stoploss buy orders should be higher than the last traded price.'],
  ] as const)('refuses %s with 400 InputException', async (_, change, message) => {
    const before = server.placements.length;
    expect(await rejection(kite.placeOrder('regular', market('RELIANCE', 1, change as Partial<OrderParams>)))).toMatchObject({ status: 'error', error_type: 'InputException', message, data: null });
    expect(server.placements.length).toBe(before);
  });

  it('triggers an SL-M buy when the last price reaches its trigger, then fills it at the ask', async () => {
    const { order_id } = await kite.placeOrder('regular', market('SBIN', 1, { order_type: 'SL-M', trigger_price: 810 }));
    await waitFor(() => statusOf(order_id) === 'TRIGGER PENDING');
    server.setQuote(SBIN, { last_price: 809.95 });
    expect(statusOf(order_id)).toBe('TRIGGER PENDING');
    server.setQuote(SBIN, { last_price: 810.05 });
    await waitFor(() => statusOf(order_id) === 'COMPLETE');
    expect(await kite.getOrderTrades(order_id)).toMatchObject([{ average_price: 810.1 }]);
  });

  it('rejects a MARKET order for an instrument that has no quote yet', async () => {
    await withServer({ instruments: [{ instrument_token: 5633, tradingsymbol: 'ACC', exchange: 'NSE', segment: 'NSE', instrument_type: 'EQ', tick_size: 0.05, lot_size: 1 }] }, async (s) => {
      const client = await loggedIn(s);
      const { order_id } = await client.placeOrder('regular', market('ACC'));
      await waitFor(() => s.orders().some((o) => o.order_id === order_id && o.status === 'REJECTED'));
      expect(s.orders()[0]?.status_message).toBe('Market orders cannot be placed: the instrument has no last traded price.');
    });
  });

  it('runs an order placed outside the system through the same lifecycle, without a placement', async () => {
    const before = server.placements.length;
    const order_id = server.placeOutside({ tradingsymbol: 'INFY', transaction_type: 'SELL', quantity: 3, tag: 'kiteweb' });
    await waitFor(() => statusOf(order_id) === 'COMPLETE');
    expect((await kite.getOrders()).find((o) => o.order_id === order_id)).toMatchObject({ tag: 'kiteweb', average_price: 1429.9, transaction_type: 'SELL' });
    expect(server.placements.length).toBe(before);
  });

  it("computes positions from the day's trades in positions.json's shape", async () => {
    await withServer({}, async (s) => {
      const client = await loggedIn(s);
      const buy = await client.placeOrder('regular', market('RELIANCE', 4));
      await waitFor(() => s.trades().some((t) => t.order_id === buy.order_id));
      const sell = await client.placeOrder('regular', market('RELIANCE', 1, { transaction_type: 'SELL' }));
      await waitFor(() => s.trades().some((t) => t.order_id === sell.order_id));
      s.setQuote(RELIANCE, { last_price: 1390 });
      const { net, day } = await client.getPositions();
      const fixtureRow = (fixture('positions.json').data as { net: object[] }).net[0];
      expect(keysOf(net[0])).toEqual(keysOf(fixtureRow));
      expect(net[0]).toMatchObject({ tradingsymbol: 'RELIANCE', product: 'MIS', quantity: 3, average_price: 1385.1, buy_quantity: 4, buy_value: 5540.4, sell_quantity: 1, sell_value: 1384.9, value: -4155.5, last_price: 1390, pnl: 14.5, close_price: 1385 });
      expect(day).toEqual(net);
    });
  });
});

describe('market data over REST', () => {
  it('serves the instruments CSV, which kiteconnect parses with string tokens and a trailing empty row (as from Kite)', async () => {
    const nfo = await kite.getInstruments('NFO');
    expect(nfo).toEqual([
      expect.objectContaining({ instrument_token: '2304000258', exchange_token: '9000001', tradingsymbol: 'NIFTY25AUGFUT', lot_size: 75, tick_size: 0.05, expiry: new Date('2025-08-28') }),
      expect.objectContaining({ instrument_token: '', lot_size: NaN }),
    ]);
    expect((await kite.getInstruments()).length).toBe(server.instruments().length + 1);
  });

  it('quotes last prices and full quotes by EXCHANGE:TRADINGSYMBOL', async () => {
    expect(await kite.getLTP(['NSE:HDFCBANK', 'NSE:NOSUCH'])).toEqual({ 'NSE:HDFCBANK': { instrument_token: 341249, last_price: 1990 } });
    const quote = (await kite.getQuote('NSE:HDFCBANK'))['NSE:HDFCBANK'];
    expect(quote).toMatchObject({ last_price: 1990, ohlc: { close: 1990 }, depth: { buy: [{ price: 1989.9 }, {}, {}, {}, {}], sell: [{ price: 1990.1 }, {}, {}, {}, {}] } });
  });
});

describe('faults', () => {
  it("answers next429 requests with 429, which kiteconnect rejects as {error_type:'NetworkException', message:'Too Many Requests'}", async () => {
    server.faults.next429(2);
    expect(await rejection(kite.getProfile())).toMatchObject({ error_type: 'NetworkException', message: 'Too Many Requests' });
    expect(await rejection(kite.placeOrder('regular', market('RELIANCE')))).toMatchObject({ error_type: 'NetworkException', message: 'Too Many Requests' });
    expect(server.requests.slice(-2).map((r) => r.status)).toEqual([429, 429]);
    expect(await kite.getProfile()).toMatchObject({ user_id: 'AB1234' });
  });

  it('answers next5xx requests with 503 NetworkException, or 500 GeneralException', async () => {
    server.faults.next5xx(1);
    expect(await rejection(kite.getOrders())).toMatchObject({ error_type: 'NetworkException', message: 'Service Unavailable' });
    server.faults.next5xx(1, 500);
    expect(await rejection(kite.getOrders())).toMatchObject({ error_type: 'GeneralException' });
  });

  it('accepts a dropped placement: the client sees a network error, the order is in GET /orders with its tag', async () => {
    server.faults.acceptThenDrop(1);
    const error = await rejection(kite.placeOrder('regular', market('RELIANCE', 1, { tag: 'dropped7' })));
    expect(error).toMatchObject({ error_type: 'NetworkException', message: 'No response from server with error code: ECONNRESET' });
    const order = (await kite.getOrders()).find((o) => o.tag === 'dropped7');
    expect(order).toBeDefined();
    expect(server.placements.at(-1)).toMatchObject({ order_id: order?.order_id, tag: 'dropped7' });
    expect(server.requests.find((r) => r.status === 0)).toMatchObject({ method: 'POST', path: '/orders/regular' });
  });

  it('lets a client timeout leave the order placed (latencyMs)', async () => {
    const impatient = await loggedIn(server, 100);
    server.faults.latencyMs = 300;
    try {
      expect(await rejection(impatient.placeOrder('regular', market('RELIANCE', 1, { tag: 'slow1' })))).toMatchObject({ error_type: 'NetworkException', message: 'No response from server with error code: ECONNABORTED' });
    } finally {
      server.faults.latencyMs = 0;
    }
    expect((await kite.getOrders()).some((o) => o.tag === 'slow1')).toBe(true);
  });

  it("expires every session: 403 TokenException, and kiteconnect's session expiry hook is called", async () => {
    await withServer({}, async (s) => {
      const client = await loggedIn(s);
      let expired = 0;
      client.setSessionExpiryHook(() => expired++);
      s.faults.expireSessions();
      expect(await rejection(client.getOrders())).toMatchObject({ status: 'error', error_type: 'TokenException', message: 'Incorrect `api_key` or `access_token`.', data: null });
      expect(expired).toBe(1);
      expect(s.requests.at(-1)).toMatchObject({ path: '/orders', status: 403 });
    });
  });
});

describe('rate limits', () => {
  it('accepts 10 of a burst of 15 order placements in one second and refuses 5 with 429', async () => {
    await withServer({ limits: { requestsPerSecond: 100 } }, async (s) => {
      const client = await loggedIn(s);
      const results = await Promise.allSettled(Array.from({ length: 15 }, (_, k) => client.placeOrder('regular', market('WIPRO', 1, { tag: `burst${k}` }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(refused).toEqual(Array(5).fill(expect.objectContaining({ error_type: 'NetworkException', message: 'Too Many Requests' })));
      expect(s.placements).toHaveLength(10);
      expect(s.requests.filter((r) => r.path === '/orders/regular' && r.status === 429)).toHaveLength(5);
      expect(new Set(s.orders().map((o) => o.tag)).size).toBe(10);
    });
  });

  it('admits 10 requests a second across all endpoints', async () => {
    await withServer({}, async (s) => {
      const client = await loggedIn(s);
      const results = await Promise.allSettled(Array.from({ length: 14 }, () => client.getProfile()));
      // The session exchange was the second's first request.
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
      expect(s.requests.map((r) => r.status).filter((x) => x === 429)).toHaveLength(5);
    });
  });

  it('limits orders per minute', async () => {
    await withServer({ limits: { ordersPerMinute: 3 } }, async (s) => {
      const client = await loggedIn(s);
      for (let k = 0; k < 3; k++) await client.placeOrder('regular', market('ONGC'));
      expect(await rejection(client.placeOrder('regular', market('ONGC')))).toMatchObject({ error_type: 'NetworkException', message: 'Too Many Requests' });
      expect(s.placements).toHaveLength(3);
    });
  });
});

import { randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createEvent } from '../../src/contracts/envelope.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as S from '../../src/api/schemas.ts';
import { run, type RunResult } from '../../src/app/run.ts';
import { loadConfig } from '../../src/config/load.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, recordTopics } from '../support/pipeline.ts';
import { makeTransport } from '../support/harness.ts';

/**
 * The API against a running system: the embedded pipeline on simulated ticks, trading the eager test
 * strategies into an in-memory database, served on a free port. Every route with valid and invalid
 * input; tokens of every bad kind refused; an operator's HALT and RESUME on the log and obeyed.
 */
const SECRET = 'api-test-signing-key-0123456789-abcdef';
const paper = topicsFor('paper');
const RELIANCE = 738561;
let base = '';
let access = '';
let refresh = '';
let result: Promise<RunResult>;
const stop = new AbortController();
const transport = keepOpen(makeTransport('memory'));
let recorder: Awaited<ReturnType<typeof recordTopics>>;
const previousSecret = process.env.API_JWT_SECRET;

type Answer = { status: number; body: Record<string, unknown>; headers: Headers };
async function call(method: string, path: string, o: { body?: unknown; raw?: string; token?: string | null } = {}): Promise<Answer> {
  const token = o.token === undefined ? access : o.token;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(o.body !== undefined || o.raw !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : o.raw !== undefined ? { body: o.raw } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** A 2xx answer, checked against the route's own response schema (the OpenAPI document's source). */
async function ok<T extends z.ZodType>(schema: T, method: string, path: string, o: Parameters<typeof call>[2] = {}, status = 200): Promise<z.output<T>> {
  const a = await call(method, path, o);
  expect(a.status, `${method} ${path}: ${JSON.stringify(a.body)}`).toBe(status);
  return schema.parse(a.body);
}

/** A problem answer with its stable code. */
async function problem(method: string, path: string, code: string, o: Parameters<typeof call>[2] = {}): Promise<Answer> {
  const a = await call(method, path, o);
  expect(a.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json');
  expect(a.body.code, `${method} ${path}: ${JSON.stringify(a.body)}`).toBe(code);
  return a;
}

beforeAll(async () => {
  process.env.API_JWT_SECRET = SECRET;
  recorder = await recordTopics(transport, [paper.riskCommands, paper.riskState, paper.signalsValidated, paper.signalsRejected, paper.ordersFilled]);
  const config = loadConfig({}, { trading: { strategiesFile: 'tests/fixtures/eager-strategies.yaml' }, database: { enabled: true, dir: 'memory://' }, http: { port: 0 }, feed: { sim: { ticksPerSecond: 400 } } });
  let generated: { user: string; password: string } | undefined;
  result = run({ config, feed: { kind: 'sim' }, stopWhenReplayed: false, status: false, log: rootLogger, transport, signal: stop.signal, onHttp: (h) => ((base = h.url), (generated = h.generated)) });
  result.catch(() => undefined);
  await waitFor(() => base !== '', 'the API listening', 60_000);
  const pair = await ok(S.TokenPair, 'POST', '/api/auth/login', { body: { username: generated!.user, password: generated!.password }, token: null });
  [access, refresh] = [pair.access_token, pair.refresh_token];
  await waitFor(async () => ((await ok(S.Entries, 'GET', '/api/fills')).entries.length >= 4), 'a few fills in the ledger', 60_000);
}, 90_000);

afterAll(async () => {
  stop.abort();
  await result?.catch(() => undefined);
  await recorder?.sub.stop();
  await transport.closeNow();
  if (previousSecret === undefined) delete process.env.API_JWT_SECRET;
  else process.env.API_JWT_SECRET = previousSecret;
});

describe('API authentication', () => {
  it('log-in: a valid body gets tokens; a missing field, a body that is not JSON and a wrong password do not', async () => {
    await problem('POST', '/api/auth/login', 'invalid_request', { body: { username: 'admin' }, token: null });
    await problem('POST', '/api/auth/login', 'invalid_request', { raw: '{"username": ', token: null });
    await problem('POST', '/api/auth/login', 'login_failed', { body: { username: 'admin', password: 'wrong' }, token: null });
  });

  it('refresh: a refresh token gets a new pair; an access token in its place is refused', async () => {
    const pair = await ok(S.TokenPair, 'POST', '/api/auth/refresh', { body: { refresh_token: refresh }, token: null });
    await ok(S.StrategyList, 'GET', '/api/strategies', { token: pair.access_token });
    await problem('POST', '/api/auth/refresh', 'token_invalid', { body: { refresh_token: access }, token: null });
    await problem('POST', '/api/auth/refresh', 'invalid_request', { body: {}, token: null });
  });

  it('a route is refused without a token, and with one unsigned, expired, tampered or signed with another key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = <B extends SignJWT | UnsecuredJWT>(b: B, exp = now + 600): B => b.setSubject('admin').setIssuer('alpha-panda').setAudience('alpha-panda-api').setIssuedAt(now - 1000).setExpirationTime(exp) as B;
    const unsigned = claims(new UnsecuredJWT({ use: 'access' })).encode();
    const expired = await claims(new SignJWT({ use: 'access' }).setProtectedHeader({ alg: 'HS256' }), now - 10).sign(new TextEncoder().encode(SECRET));
    const otherKey = await claims(new SignJWT({ use: 'access' }).setProtectedHeader({ alg: 'HS256' })).sign(new TextEncoder().encode('some-other-key-some-other-key-1234'));
    const [h, , s] = access.split('.');
    const tampered = [h, Buffer.from(JSON.stringify({ use: 'access', sub: 'admin', iss: 'alpha-panda', aud: 'alpha-panda-api', exp: now + 99_999 })).toString('base64url'), s].join('.');
    await problem('GET', '/api/strategies', 'unauthorized', { token: null });
    await problem('GET', '/api/strategies', 'token_invalid', { token: unsigned });
    await problem('GET', '/api/strategies', 'token_expired', { token: expired });
    await problem('GET', '/api/strategies', 'token_invalid', { token: tampered });
    await problem('GET', '/api/strategies', 'token_invalid', { token: otherKey });
    await problem('GET', '/api/strategies', 'token_invalid', { token: refresh });
  });

  it('a stream ticket opens the live stream, whose events are the dashboard snapshot; no ticket, no stream', async () => {
    const { ticket } = await ok(S.StreamTicket, 'POST', '/api/auth/stream-ticket');
    await problem('POST', '/api/auth/stream-ticket', 'unauthorized', { token: null });
    await problem('GET', '/api/stream', 'unauthorized', { token: null });
    await problem('GET', `/api/stream?ticket=${access}`, 'token_invalid', { token: null });
    const res = await fetch(`${base}/api/stream?ticket=${ticket}`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    // A ticket opens one stream: used again, it is refused (the page asks for a new one to reconnect).
    await problem('GET', `/api/stream?ticket=${ticket}`, 'token_invalid', { token: null });
    expect(text).toMatch(/^event: activity\n/);
    const snapshot = S.Activity.parse(JSON.parse(/data: (.*)\n/.exec(text)![1]!));
    expect(snapshot.phase).toBe('running');
    expect(snapshot.recent.some((e) => e.type === 'order_filled')).toBe(true);
  });
});

describe('API strategies', () => {
  it('list and show; a malformed id is invalid and an unknown one not found', async () => {
    const { strategies } = await ok(S.StrategyList, 'GET', '/api/strategies');
    expect(strategies.map((s) => s.id).sort()).toEqual(['eager-meanrev', 'eager-momentum']);
    const detail = await ok(S.StrategyDetail, 'GET', '/api/strategies/eager-momentum');
    expect(detail.strategy.type).toBe('simple_momentum');
    expect(detail.activity.find((a) => a.namespace === 'paper')!.judged).toBeGreaterThan(0);
    await problem('GET', '/api/strategies/bad%20id!', 'invalid_request');
    await problem('GET', '/api/strategies/nobody', 'not_found');
  });

  it('add, update, enable, disable, live on, remove: the CLI checks apply and each answer is the new version', async () => {
    const added = await ok(S.StrategyOne, 'POST', '/api/strategies', { body: { id: 'api-added', type: 'simple_momentum', instruments: ['INFY'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 1 } } }, 201);
    expect(added.strategy).toMatchObject({ id: 'api-added', active: true, live: false, version: 1, instruments: [408065] });
    await problem('POST', '/api/strategies', 'conflict', { body: { id: 'api-added', type: 'simple_momentum', instruments: ['TCS'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 1 } } });
    const badType = await problem('POST', '/api/strategies', 'invalid_request', { body: { id: 'api-bad', type: 'no_such_type', instruments: ['INFY'] } });
    expect(JSON.stringify(badType.body.issues)).toContain("unknown strategy type 'no_such_type'");
    const badInstrument = await problem('POST', '/api/strategies', 'invalid_request', { body: { id: 'api-bad', type: 'simple_momentum', instruments: ['NOTATHING'], params: { lookback_period: 5, momentum_threshold: 0.001, position_size: 1 } } });
    expect(JSON.stringify(badInstrument.body.issues)).toContain("'NOTATHING' is not in the instrument catalogue");
    await problem('POST', '/api/strategies', 'invalid_request', { body: { id: 'api-bad', type: 'simple_momentum', instruments: [], extra: 1 } });

    const updated = await ok(S.StrategyOne, 'PATCH', '/api/strategies/api-added', { body: { set: { position_size: 2 } } });
    expect(updated.strategy).toMatchObject({ version: 2, params: { position_size: 2, lookback_period: 5 } });
    await problem('PATCH', '/api/strategies/api-added', 'invalid_request', { body: {} });
    await problem('PATCH', '/api/strategies/api-added', 'invalid_request', { body: { set: { position_size: -1 } } });
    expect((await ok(S.StrategyOne, 'POST', '/api/strategies/api-added/disable')).strategy).toMatchObject({ active: false, version: 3 });
    expect((await ok(S.StrategyOne, 'POST', '/api/strategies/api-added/enable')).strategy).toMatchObject({ active: true, version: 4 });
    await problem('POST', '/api/strategies/nobody/enable', 'not_found');
    expect((await ok(S.StrategyOne, 'PUT', '/api/strategies/api-added/live', { body: { on: true } })).strategy).toMatchObject({ live: true, version: 5 });
    await problem('PUT', '/api/strategies/api-added/live', 'invalid_request', { body: { on: 'yes' } });
    const removed = await ok(S.StrategyRemoved, 'DELETE', '/api/strategies/api-added');
    expect(removed.strategy.removed).toBe(true);
    await problem('DELETE', '/api/strategies/api-added', 'not_found');
  });
});

describe('API portfolio and ledger', () => {
  it('P&L per namespace and strategy, and positions, with their filters checked', async () => {
    const pnl = await ok(S.Pnl, 'GET', '/api/pnl');
    expect(pnl.totals.map((t) => t.namespace)).toEqual(['paper']);
    expect(pnl.totals[0]!.fills).toBeGreaterThan(0);
    const one = await ok(S.Pnl, 'GET', '/api/pnl?strategy=eager-momentum');
    expect(new Set(one.strategies.map((s) => s.strategy))).toEqual(new Set(['eager-momentum']));
    await problem('GET', '/api/pnl?namespace=shares', 'invalid_request');
    const { positions } = await ok(S.Positions, 'GET', '/api/positions?namespace=paper');
    for (const p of positions) expect(p.namespace).toBe('paper');
    await problem('GET', '/api/positions?strategy=bad!', 'invalid_request');
    await problem('GET', '/api/positions?colour=red', 'invalid_request');
  });

  it('orders, fills and signals from the ledger, filtered, newest first; bad filters named', async () => {
    const filled = await ok(S.Entries, 'GET', '/api/orders?status=filled&limit=3');
    expect(filled.entries.length).toBe(3);
    for (const e of filled.entries) expect(e.kind).toBe('filled');
    expect([...filled.entries].sort((a, b) => b.ts.localeCompare(a.ts))).toEqual(filled.entries);
    const fills = await ok(S.Entries, 'GET', `/api/fills?strategy=eager-momentum&instrument=${filled.entries[0]!.instrument_token}`);
    for (const e of fills.entries) expect(e).toMatchObject({ kind: 'filled', strategy_id: 'eager-momentum', instrument_token: filled.entries[0]!.instrument_token });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await ok(S.Entries, 'GET', `/api/orders?since=${encodeURIComponent(future)}`)).entries).toEqual([]);
    const verdicts = await ok(S.Entries, 'GET', '/api/signals?verdict=validated&limit=5');
    for (const e of verdicts.entries) expect(e.kind).toBe('validated');
    await problem('GET', '/api/orders?status=shipped', 'invalid_request');
    await problem('GET', '/api/orders?limit=0', 'invalid_request');
    expect(JSON.stringify((await problem('GET', '/api/orders?limit=10000', 'invalid_request')).body.issues)).toMatch(/1000/);
    await problem('GET', '/api/fills?instrument=abc', 'invalid_request');
    await problem('GET', '/api/fills?since=yesterday', 'invalid_request');
    await problem('GET', `/api/fills?since=${encodeURIComponent(future)}&until=${encodeURIComponent(new Date().toISOString())}`, 'invalid_request');
    await problem('GET', '/api/signals?verdict=maybe', 'invalid_request');
  });

  it("a chain by correlation id: the signal, risk's verdict, the order and its fill, each hop timed", async () => {
    const [fill] = (await ok(S.Entries, 'GET', '/api/fills?limit=1')).entries;
    const chain = await ok(S.Chain, 'GET', `/api/chains/${fill!.correlation_id}`);
    expect(chain.asked).toBe(fill!.correlation_id);
    const [own] = chain.namespaces;
    expect(own).toMatchObject({ namespace: 'paper', correlationId: fill!.correlation_id, outcome: 'filled' });
    expect(own!.hops.map((h) => h.type)).toEqual(['trading_signal', 'validated_signal', 'order_placed', ...own!.hops.slice(3).map(() => 'order_filled')]);
    expect(own!.hops[0]!.sinceSignalMs).toBe(0);
    for (const h of own!.hops.slice(1)) {
      expect(h.sincePreviousMs, h.type).toBeGreaterThanOrEqual(0);
      expect(h.sinceSignalMs, h.type).toBeGreaterThanOrEqual(h.sincePreviousMs!);
    }
    expect(own!.totalMs).toBe(own!.hops.at(-1)!.sinceSignalMs);
    expect(chain.traceUrl).toBeNull(); // no tracing UI configured
    await problem('GET', '/api/chains/not-a-uuid', 'invalid_request');
    await problem('GET', '/api/chains/00000000-0000-4000-8000-000000000000', 'not_found');
  });
});

describe('API risk', () => {
  it("an operator's HALT blocks new orders and RESUME lifts it; both commands and both states are on the log", async () => {
    const before = await ok(S.Risk, 'GET', '/api/risk');
    expect(before.namespaces[0]).toMatchObject({ namespace: 'paper', state: 'ACTIVE' });
    await problem('POST', '/api/risk/paper/panic', 'invalid_request', { body: {} });
    await problem('POST', '/api/risk/zerodha/halt', 'not_found', { body: {} });
    await problem('POST', '/api/risk/paper/halt', 'invalid_request', { body: { reason: 'x'.repeat(501) } });
    await problem('POST', '/api/risk/paper/halt', 'unauthorized', { body: {}, token: null });

    const halt = await ok(S.RiskCommandAccepted, 'POST', '/api/risk/paper/halt', { body: { reason: 'api test' } }, 202);
    expect(halt).toMatchObject({ namespace: 'paper', command: 'HALT', topic: 'paper.risk.commands' });
    // The engine's state is read directly; the last change as announced on the log follows it.
    await waitFor(async () => (await ok(S.Risk, 'GET', '/api/risk')).namespaces[0]!.last_change?.state === 'HALTED', 'the risk checker halted and said so');
    const halted = await ok(S.Risk, 'GET', '/api/risk');
    expect(halted.namespaces[0]).toMatchObject({ state: 'HALTED', last_change: { state: 'HALTED', cause: 'OPERATOR' }, last_command: { command: 'HALT', operator: 'admin', reason: 'api test' } });
    // Strategies hear the state and stop sending; a signal that still arrives is refused.
    const now = Date.now();
    const at = new Date(now).toISOString();
    const signal = { signal_id: randomUUID(), strategy_id: 'eager-momentum', instrument_token: RELIANCE, signal_type: 'BUY' as const, quantity: 5, price: 1400, timestamp: at, quote: { last_price: 1400, exchange_timestamp: at } };
    const raw = createEvent({ type: 'trading_signal', broker: 'paper', source: 'test/operator', key: 'eager-momentum', data: signal, now });
    await transport.send([new EventRecord(paper.signalsRaw, raw, {})]);
    await waitFor(() => decodeAll(recorder.records).some((e) => e.type === 'rejected_signal' && e.correlation_id === raw.id), 'the late signal judged');
    const late = decodeAll(recorder.records).find((e) => e.type === 'rejected_signal' && e.correlation_id === raw.id);
    expect(late?.type === 'rejected_signal' && late.data.reason_code).toBe('TRADING_HALTED');
    const resume = await ok(S.RiskCommandAccepted, 'POST', '/api/risk/paper/resume', { body: {} }, 202);
    await waitFor(async () => (await ok(S.Risk, 'GET', '/api/risk')).namespaces[0]!.last_change?.state === 'ACTIVE', 'the risk checker resumed and said so');

    const events = () => decodeAll(recorder.records);
    const commands = events().filter((e) => e.type === 'risk_command');
    expect(commands.map((e) => [e.id, e.type === 'risk_command' && e.data.command, e.type === 'risk_command' && e.data.operator])).toEqual([
      [halt.id, 'HALT', 'admin'],
      [resume.id, 'RESUME', 'admin'],
    ]);
    const states = events().filter((e) => e.type === 'trading_state');
    expect(states.map((e) => e.type === 'trading_state' && [e.data.state, e.data.cause, e.causation_id])).toEqual([
      ['HALTED', 'OPERATOR', halt.id],
      ['ACTIVE', 'OPERATOR', resume.id],
    ]);
    const [haltedAt, resumedAt] = states.map((e) => e.ts);
    const between = (e: { ts: string }) => e.ts > haltedAt! && e.ts < resumedAt!;
    // Nothing was validated while halted; new orders flow again after RESUME.
    expect(events().filter((e) => e.type === 'validated_signal' && between(e))).toEqual([]);
    for (const e of events().filter((x) => x.type === 'rejected_signal' && between(x))) expect(e.type === 'rejected_signal' && e.data.reason_code).toBe('TRADING_HALTED');
    await waitFor(() => events().some((e) => e.type === 'validated_signal' && e.ts > resumedAt!), 'a signal validated after RESUME', 20_000);
  });
});

describe('API health and documents', () => {
  it('liveness, readiness with each check, the OpenAPI document of every route, and problems for unknown routes', async () => {
    expect((await ok(S.Liveness, 'GET', '/health', { token: null })).status).toBe('ok');
    const ready = await ok(S.Readiness, 'GET', '/ready', { token: null });
    expect(ready.ready).toBe(true);
    expect(ready.checks.map((c) => c.what)).toEqual(['pipeline', 'bus', 'database']);
    const doc = (await call('GET', '/openapi.json', { token: null })).body as { openapi: string; paths: Record<string, Record<string, { parameters: Array<{ name: string }> }>> };
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/strategies', '/api/strategies/{id}', '/api/strategies/{id}/live', '/api/positions', '/api/pnl', '/api/orders', '/api/fills', '/api/signals', '/api/chains/{correlationId}', '/api/risk', '/api/risk/{namespace}/{command}', '/health', '/ready']));
    expect(doc.paths['/api/orders']!.get!.parameters.map((p) => p.name)).toEqual(['namespace', 'strategy', 'instrument', 'since', 'until', 'limit', 'status']);
    await problem('GET', '/api/nothing-here', 'not_found');
    const wrongMethod = await problem('GET', '/api/risk/paper/halt', 'method_not_allowed');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    const tooBig = await problem('POST', '/api/auth/login', 'too_large', { raw: JSON.stringify({ username: 'admin', password: 'x'.repeat(70_000) }), token: null });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.detail).toMatch(/larger than 64 KiB/);
    const expired = await call('GET', '/api/strategies', { token: 'not.a.token' });
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    const text = await scrape.text();
    const fills = Number(/^alpha_panda_fills_total\{namespace="paper"\} (\d+)/m.exec(text)?.[1]);
    expect(fills).toBeGreaterThanOrEqual(4);
    expect(text).toMatch(/^alpha_panda_ticks_received_total \d+/m);
  });
});

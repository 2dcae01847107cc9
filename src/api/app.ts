import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { InputError, NotFoundError, ConflictError, AlphaPandaError } from '../errors.ts';
import { authRoutes } from './auth-routes.ts';
import type { ApiContext } from './context.ts';
import { openApiDocument } from './openapi.ts';
import { ApiProblem, problemResponse } from './problem.ts';
import { mount, route, type Route } from './route.ts';
import { Liveness, Readiness } from './schemas.ts';
import { strategyRoutes } from './strategy-routes.ts';
import { tradingRoutes } from './trading-routes.ts';

const asset = (name: string) => readFileSync(new URL(`./dashboard/${name}`, import.meta.url), 'utf8');
/** The dashboard: one page, a script and a style sheet, served as they are (no build step). */
const ASSETS: Record<string, { type: string; body: string }> = {
  '/': { type: 'text/html; charset=utf-8', body: asset('index.html') },
  '/dashboard.js': { type: 'text/javascript; charset=utf-8', body: asset('dashboard.js') },
  '/dashboard.css': { type: 'text/css; charset=utf-8', body: asset('dashboard.css') },
};
const SECURITY = { 'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'", 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

function healthRoutes(ctx: ApiContext): Route[] {
  return [
    route({ method: 'get', path: '/health', summary: 'Liveness: the process answers', tag: 'health', auth: false, response: Liveness, handle: async () => ({ status: 'ok' as const, version: ctx.version, instance: ctx.instance, uptime_s: Math.round((Date.now() - ctx.startedAt) / 1000) }) }),
  ];
}

/** The error a failed request answers with: a problem with a stable code; anything unexpected is logged and is `internal`. */
function problemOf(e: unknown, ctx: ApiContext, path: string): ApiProblem {
  if (e instanceof ApiProblem) return e;
  if (e instanceof NotFoundError) return new ApiProblem('not_found', e.issues.join('; '), { issues: e.issues });
  if (e instanceof ConflictError) return new ApiProblem('conflict', e.issues.join('; '), { issues: e.issues });
  if (e instanceof InputError) return new ApiProblem('invalid_request', e.issues.join('; '), { issues: e.issues });
  if (e instanceof AlphaPandaError && e.retriable) {
    ctx.log.warn({ err: e, path }, 'API request failed on an outage');
    return new ApiProblem('unavailable', e.message, { headers: { 'retry-after': '5' } });
  }
  ctx.log.error({ err: e, path }, 'API request failed');
  return new ApiProblem('internal', 'the request failed inside alpha-panda: the log says why');
}

/**
 * The HTTP surface of a running system: the API (every route from its table, zod on every request, JWT
 * on all but log-in and health), its OpenAPI document, readiness, Prometheus metrics, the dashboard's
 * live stream (Server-Sent Events, opened with a stream ticket; each ends when `closing` is aborted) and
 * the dashboard itself.
 */
export function apiApp(ctx: ApiContext, closing: AbortSignal = new AbortController().signal): { app: Hono; routes: readonly Route[] } {
  const app = new Hono();
  const routes = [...authRoutes(ctx), ...strategyRoutes(ctx), ...tradingRoutes(ctx), ...healthRoutes(ctx)];
  app.onError((e, c) => problemResponse(problemOf(e, ctx, c.req.path), c.req.path));
  // A path that exists under other methods is 405 with the methods it has, not 404: read from the
  // routes Hono holds (every one mounted below), at the request, so none is listed by hand.
  const allowedFor = (path: string) => [...new Set(app.routes.filter((r) => r.method !== 'ALL' && new RegExp(`^${r.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(path)).map((r) => r.method))];
  app.notFound((c) => {
    const allowed = allowedFor(c.req.path);
    if (allowed.length > 0) return problemResponse(new ApiProblem('method_not_allowed', `${c.req.path} takes ${allowed.join(', ')}, not ${c.req.method}`, { headers: { allow: allowed.join(', ') } }), c.req.path);
    return problemResponse(new ApiProblem('not_found', `no route ${c.req.method} ${c.req.path} (GET /openapi.json lists them)`), c.req.path);
  });
  // No request body the API takes is anywhere near 64 KiB: a bigger one is refused before it is read.
  app.use('/api/*', bodyLimit({ maxSize: 64 * 1024, onError: () => problemResponse(new ApiProblem('too_large', 'the body is larger than 64 KiB'), '/api') }));
  mount(app, routes, ctx.tokens);
  const openapi = openApiDocument([...routes, route({ method: 'get', path: '/ready', summary: 'Readiness: broker, database and Kite session (503 when one is not)', tag: 'health', auth: false, response: Readiness, handle: async () => undefined })], ctx.version);
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/ready', async (c) => {
    const r = await ctx.readiness();
    return c.json(r, r.ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    if (!ctx.metrics) throw new ApiProblem('not_found', 'metrics are not collected in this process');
    return c.body(await ctx.metrics.text(), 200, { 'content-type': ctx.metrics.contentType });
  });
  app.get('/api/stream', async (c) => {
    const ticket = c.req.query('ticket');
    if (!ticket) throw new ApiProblem('unauthorized', 'open the stream with ?ticket= (POST /api/auth/stream-ticket)');
    const user = await ctx.tokens.useOnce(ticket, 'stream');
    ctx.log.debug({ user }, 'dashboard stream opened');
    return streamSSE(c, async (stream) => {
      let id = 0;
      while (!stream.aborted && !stream.closed && !closing.aborted) {
        await stream.writeSSE({ event: 'activity', id: String(++id), data: JSON.stringify(ctx.activity()) });
        await stream.sleep(1000);
      }
    });
  });
  for (const [path, a] of Object.entries(ASSETS)) app.get(path, (c) => c.body(a.body, 200, { 'content-type': a.type, 'cache-control': 'no-cache', ...SECURITY }));
  return { app, routes };
}

import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { ApiProblem } from './problem.ts';
import type { Tokens } from './tokens.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

export interface Request<P, Q, B> {
  readonly params: Out<P>;
  readonly query: Out<Q>;
  readonly body: Out<B>;
  /** Who the access token was issued to (undefined on the routes that need none). */
  readonly user: string | undefined;
  /** The client's address (the log-in limits count per address). */
  readonly address: string;
}

/**
 * One API route as data: its method, path, schemas and handler. The server mounts every route through
 * `mount` (each request's parameters, query and body parsed by its schemas first, so a handler sees
 * only valid input) and the OpenAPI document is generated from the same table.
 */
export interface Route<P extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, B extends Schema | undefined = Schema | undefined> {
  readonly method: Method;
  /** Hono's form: `/api/strategies/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Whether a valid access token is required (Authorization: Bearer). */
  readonly auth: boolean;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: Schema;
  readonly status?: 200 | 201 | 202;
  readonly handle: (r: Request<P, Q, B>) => Promise<unknown>;
}

/** Types a route's handler from its schemas. */
export function route<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}

function parse(schema: Schema | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ApiProblem('invalid_request', `the ${where} is not valid`, { issues: r.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`) });
}

async function bodyOf(c: Context, schema: Schema | undefined): Promise<unknown> {
  if (!schema) return undefined;
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    // The media type itself, not a substring: text/plain (which a browser sends cross-site unasked) is refused.
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new ApiProblem('invalid_request', 'the body must be JSON (Content-Type: application/json)');
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ApiProblem('invalid_request', `the body is not JSON: ${(e as Error).message}`);
    }
  }
  return parse(schema, value, 'body');
}

export function addressOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

/** The user of a request's bearer token, or a 401 problem. */
export async function bearer(c: Context, tokens: Tokens): Promise<string> {
  const header = c.req.header('authorization');
  if (!header) throw new ApiProblem('unauthorized', 'log in first: send Authorization: Bearer <access_token> (POST /api/auth/login)', { headers: { 'www-authenticate': 'Bearer' } });
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new ApiProblem('unauthorized', 'the Authorization header must be: Bearer <access_token>', { headers: { 'www-authenticate': 'Bearer' } });
  return tokens.verify(m[1]!, 'access');
}

export function mount(app: Hono, routes: readonly Route[], tokens: Tokens): void {
  for (const r of routes) {
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      const user = r.auth ? await bearer(c, tokens) : undefined;
      const params = parse(r.params, c.req.param(), 'path');
      const query = parse(r.query, c.req.query(), 'query');
      const body = await bodyOf(c, r.body);
      const result = await r.handle({ params, query, body, user, address: addressOf(c) } as Request<Schema, Schema, Schema>);
      // Answers hold tokens and trading state: never cached by a browser or a proxy.
      return c.json(result as object, r.status ?? 200, { 'cache-control': 'no-store' });
    });
  }
}

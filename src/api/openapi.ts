import { z } from 'zod';
import { PROBLEM_CODES } from './problem.ts';
import type { Route } from './route.ts';
import { Activity } from './schemas.ts';

const Problem = z.object({ type: z.string(), title: z.string(), status: z.number().int(), code: z.enum(Object.keys(PROBLEM_CODES) as [keyof typeof PROBLEM_CODES]), detail: z.string(), instance: z.string(), issues: z.array(z.string()).optional() });

const json = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' });

/** `/api/strategies/:id` as OpenAPI writes it: `/api/strategies/{id}`. */
const openApiPath = (p: string) => p.replace(/:([A-Za-z]+)/g, '{$1}');

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const s = json(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: prop }));
}

/** The OpenAPI 3.0 document of the routes, generated from their zod schemas (nothing written twice). */
export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = (paths[openApiPath(r.path)] ??= {});
    path[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth ? { security: [{ bearer: [] }] } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { 'application/json': { schema: json(r.body, 'input') } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: json(r.response, 'output') } } },
        default: { description: 'A problem (RFC 9457), with a stable code', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    };
  }
  paths['/api/stream'] = {
    get: {
      summary: "The dashboard's snapshot every second, as Server-Sent Events (event: activity, data: the Activity document)",
      tags: ['stream'],
      parameters: [{ name: 'ticket', in: 'query', required: true, schema: { type: 'string' }, description: 'from POST /api/auth/stream-ticket' }],
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: json(Activity, 'output') } } }, default: { description: 'A problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } },
    },
  };
  paths['/metrics'] = { get: { summary: 'Prometheus metrics (text exposition format)', tags: ['health'], responses: { 200: { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } };
  return {
    openapi: '3.0.3',
    info: { title: 'Alpha Panda API', version, description: 'Strategies, positions and P&L, the ledger, signal chains, risk state and operator commands of a running Alpha Panda.' },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Problem: json(Problem, 'output') } },
  };
}

import type { AdminRequest, AdminResult } from '../control/strategy-admin.ts';
import type { StrategyRecord } from '../db/strategy-store.ts';
import type { ApiContext } from './context.ts';
import { ApiProblem } from './problem.ts';
import { route } from './route.ts';
import { IdParam, LiveSwitch, NewStrategy, StrategyChange, StrategyDetail, StrategyList, StrategyOne, StrategyRemoved } from './schemas.ts';

/** The strategies, through the same operations and checks as `alpha-panda strategies` (administer). */
export function strategyRoutes(ctx: ApiContext) {
  const json = (r: StrategyRecord) => ({ ...r, instruments: [...r.instruments], symbols: r.instruments.map((t) => ctx.symbolOf(t) ?? String(t)), createdAt: new Date(r.createdAt).toISOString(), updatedAt: new Date(r.updatedAt).toISOString() });
  const admin = async (request: AdminRequest, user: string | undefined): Promise<AdminResult> => {
    if (!ctx.administer) throw new ApiProblem('database_required', 'strategies live in the database, which is switched off here (database.enabled: false)');
    const result = await ctx.administer(request);
    if (request.op !== 'list' && request.op !== 'show') ctx.log.info({ user, op: request.op, strategy: request.id }, 'strategy changed through the API');
    return result;
  };
  const one = async (request: AdminRequest, user: string | undefined) => ({ strategy: json((await admin(request, user)).record!) });
  return [
    route({ method: 'get', path: '/api/strategies', summary: 'Every strategy', tag: 'strategies', auth: true, response: StrategyList, handle: async (r) => ({ strategies: (await admin({ op: 'list' }, r.user)).records!.map(json) }) }),
    route({
      method: 'get',
      path: '/api/strategies/:id',
      summary: 'One strategy, what it holds and what the ledger has of it',
      tag: 'strategies',
      auth: true,
      params: IdParam,
      response: StrategyDetail,
      handle: async (r) => {
        const x = await admin({ op: 'show', id: r.params.id }, r.user);
        return { strategy: json(x.record!), open: [...x.open!], activity: [...x.activity!] };
      },
    }),
    route({
      method: 'post',
      path: '/api/strategies',
      summary: 'Add a strategy (it starts trading within a second)',
      tag: 'strategies',
      auth: true,
      body: NewStrategy,
      response: StrategyOne,
      status: 201,
      handle: (r) => {
        const { id, enabled, ...rest } = r.body;
        return one({ op: 'add', id, input: { ...rest, ...(enabled === false ? { active: false } : {}) } }, r.user);
      },
    }),
    route({ method: 'patch', path: '/api/strategies/:id', summary: 'Change its type, instruments or parameters', tag: 'strategies', auth: true, params: IdParam, body: StrategyChange, response: StrategyOne, handle: (r) => one({ op: 'update', id: r.params.id, input: r.body }, r.user) }),
    route({ method: 'post', path: '/api/strategies/:id/enable', summary: 'Switch it on', tag: 'strategies', auth: true, params: IdParam, response: StrategyOne, handle: (r) => one({ op: 'enable', id: r.params.id }, r.user) }),
    route({ method: 'post', path: '/api/strategies/:id/disable', summary: 'Switch it off: its actor stops; what it holds stays', tag: 'strategies', auth: true, params: IdParam, response: StrategyOne, handle: (r) => one({ op: 'disable', id: r.params.id }, r.user) }),
    route({ method: 'put', path: '/api/strategies/:id/live', summary: 'Whether it also trades live (trading.liveEnabled must be on as well)', tag: 'strategies', auth: true, params: IdParam, body: LiveSwitch, response: StrategyOne, handle: (r) => one({ op: 'live', id: r.params.id, on: r.body.on }, r.user) }),
    route({
      method: 'delete',
      path: '/api/strategies/:id',
      summary: 'Remove it: its actor stops; what it still holds is reported',
      tag: 'strategies',
      auth: true,
      params: IdParam,
      response: StrategyRemoved,
      handle: async (r) => {
        const x = await admin({ op: 'remove', id: r.params.id }, r.user);
        return { strategy: json(x.record!), open: [...x.open!] };
      },
    }),
  ];
}

import { RiskCommandName } from '../contracts/events.ts';
import type { LedgerKind, LedgerQuery } from '../db/ledger-query.ts';
import type { ApiContext } from './context.ts';
import { ApiProblem } from './problem.ts';
import { route } from './route.ts';
import { Chain, ChainParam, Entries, LedgerFilter, OrderFilter, Pnl, PortfolioQuery, Positions, Risk, RiskCommandAccepted, RiskCommandBody, RiskCommandParam, SignalFilter } from './schemas.ts';

type Filter = { namespace?: string; strategy?: string; instrument?: number; since?: string; until?: string; limit?: number };

/** Positions, P&L, the ledger, chains, and the risk state with the operator's commands. */
export function tradingRoutes(ctx: ApiContext) {
  const ledger = async (kinds: readonly LedgerKind[], f: Filter) => {
    if (!ctx.ledger) throw new ApiProblem('database_required', 'the order ledger lives in the database, which is switched off here (database.enabled: false)');
    if (f.since && f.until && Date.parse(f.since) >= Date.parse(f.until)) throw new ApiProblem('invalid_request', 'since must be before until', { issues: ['query.since: after query.until'] });
    const q: LedgerQuery = { kinds, limit: f.limit ?? 100, ...(f.namespace ? { namespace: f.namespace } : {}), ...(f.strategy ? { strategy: f.strategy } : {}), ...(f.instrument !== undefined ? { instrument: f.instrument } : {}), ...(f.since ? { since: new Date(f.since) } : {}), ...(f.until ? { until: new Date(f.until) } : {}) };
    return { entries: await ctx.ledger(q) };
  };
  /** The dashboard's snapshot, once the pipeline runs (503 while it starts). */
  const running = () => {
    const starting = ctx.whileStarting();
    if (starting) throw starting;
    return ctx.activity();
  };
  const pick = <T extends { namespace: string; strategy?: string }>(rows: readonly T[], q: { namespace?: string; strategy?: string }) => rows.filter((x) => (!q.namespace || x.namespace === q.namespace) && (!q.strategy || x.strategy === q.strategy));
  return [
    route({ method: 'get', path: '/api/positions', summary: 'Open positions per namespace and strategy', tag: 'portfolio', auth: true, query: PortfolioQuery, response: Positions, handle: async (r) => ({ positions: pick(running().positions, r.query) }) }),
    route({
      method: 'get',
      path: '/api/pnl',
      summary: 'P&L per namespace and per strategy (realized, unrealized at the last price, fees, net), paper beside live',
      tag: 'portfolio',
      auth: true,
      query: PortfolioQuery,
      response: Pnl,
      handle: async (r) => {
        const a = running();
        const rejections: Record<string, number> = {};
        for (const [ns, byCode] of Object.entries(a.rejections)) if (!r.query.namespace || ns === r.query.namespace) for (const [code, n] of Object.entries(byCode)) rejections[code] = (rejections[code] ?? 0) + n;
        return { totals: a.totals.filter((t) => !r.query.namespace || t.namespace === r.query.namespace), strategies: pick(a.strategies, r.query), rejections, ticks: a.ticks };
      },
    }),
    route({ method: 'get', path: '/api/orders', summary: 'Orders from the ledger (placed, filled, failed), newest first', tag: 'ledger', auth: true, query: OrderFilter, response: Entries, handle: (r) => ledger(r.query.status ? [r.query.status] : ['placed', 'filled', 'failed'], r.query) }),
    route({ method: 'get', path: '/api/fills', summary: 'Fills from the ledger, newest first', tag: 'ledger', auth: true, query: LedgerFilter, response: Entries, handle: (r) => ledger(['filled'], r.query) }),
    route({ method: 'get', path: '/api/signals', summary: "Risk's verdicts on signals from the ledger (validated, rejected with the reason code), newest first", tag: 'ledger', auth: true, query: SignalFilter, response: Entries, handle: (r) => ledger(r.query.verdict ? [r.query.verdict] : ['validated', 'rejected'], r.query) }),
    route({
      method: 'get',
      path: '/api/chains/:correlationId',
      summary: 'A signal chain: signal, verdict, order, fills, with the time of each hop',
      tag: 'ledger',
      auth: true,
      params: ChainParam,
      response: Chain,
      handle: async (r) => {
        const chain = await ctx.chain(r.params.correlationId);
        if (!chain) throw new ApiProblem('not_found', `no chain ${r.params.correlationId} in the ledger`);
        return chain;
      },
    }),
    route({
      method: 'get',
      path: '/api/risk',
      summary: "Each namespace's trading state, today's loss and the limits",
      tag: 'risk',
      auth: true,
      response: Risk,
      handle: async () => {
        const starting = ctx.whileStarting();
        if (starting) throw starting;
        const namespaces = ctx.risk();
        if (!namespaces) throw new ApiProblem('chain_elsewhere', 'another instance runs the account-wide chain: ask it (GET /api/risk there)');
        return { namespaces };
      },
    }),
    route({
      method: 'post',
      path: '/api/risk/:namespace/:command',
      summary: "An operator's HALT, REDUCE or RESUME: published to the namespace's risk checker, which announces the new trading state",
      tag: 'risk',
      auth: true,
      params: RiskCommandParam,
      body: RiskCommandBody,
      response: RiskCommandAccepted,
      status: 202,
      handle: async (r) => {
        const { namespace } = r.params;
        if (!ctx.namespaces.includes(namespace)) throw new ApiProblem('not_found', `${namespace} is not traded by this deployment (namespaces: ${ctx.namespaces.join(', ')})`);
        const command = RiskCommandName.parse(r.params.command.toUpperCase());
        const sent = await ctx.command(namespace, command, r.user!, r.body.reason);
        ctx.log.warn({ user: r.user, namespace, command, reason: r.body.reason }, "operator's command published");
        return { id: sent.id, namespace, command, topic: sent.topic };
      },
    }),
  ];
}

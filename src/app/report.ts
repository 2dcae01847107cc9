import type { BrokerHealth } from '../bus/health.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { formatRupees, toRupees } from '../money.ts';
import type { Pipeline, StartupProgress } from './pipeline.ts';

/** What the status line and the summary show: counts from the stats, money from the books. */
export function netPnl(p: Pipeline, ns: BrokerNamespace = 'paper'): number {
  const book = p.portfolios.get(ns);
  if (!book) return 0;
  let net = 0;
  for (const id of book.ids()) net += book.totals(id, (t) => p.prices.get(t)?.last).net;
  return net;
}

export interface StatusInput {
  readonly pipeline: Pipeline | undefined;
  readonly progress: StartupProgress;
  readonly health: BrokerHealth;
  readonly rate: number;
  readonly elapsedS: number;
  /** Why the run is stopping, once it is. */
  readonly stopping: string | undefined;
}

const PHASES: Record<StartupProgress['phase'], string> = { starting: 'starting: connecting', joining: 'starting: joining consumer groups', running: 'running' };

/** One line, every second: start-up progress, then the trading counters; the broker's state when it is down. */
export function statusLine(s: StatusInput): string {
  const clock = `[${s.elapsedS.toFixed(0).padStart(4)}s]`;
  const parts: string[] = [];
  const p = s.pipeline;
  if (s.stopping) parts.push(`stopping (${s.stopping}): draining and committing`);
  else if (!p || s.progress.phase !== 'running') parts.push(`${PHASES[s.progress.phase]}${s.progress.groups ? ` ${s.progress.assigned}/${s.progress.groups}` : ''}`);
  if (p && s.progress.phase === 'running') {
    const t = p.stats;
    parts.push(`ticks/s ${s.rate.toFixed(0).padStart(7)}`, `ticks ${p.ticks}`, `signals ${t.signals}`, `fills ${t.fills}`, `rejected ${t.rejected}`, `failed ${t.failed}`);
    // Each namespace's P&L, paper beside live.
    for (const ns of p.namespaces) parts.push(`${ns === 'paper' ? 'paper' : `live (${ns})`} P&L ${formatRupees(netPnl(p, ns))}`);
    for (const [ns, e] of p.engines) if (e.state !== 'ACTIVE') parts.push(`${ns} ${e.state}`);
  }
  if (s.health.downSince !== undefined) parts.push(`broker unreachable for ${Math.round(s.health.downFor() / 1000)} s: ${(s.health.lastError ?? '').slice(0, 120)}`);
  return `${clock} ${parts.join(' | ')}`;
}

export interface StrategySummary {
  readonly namespace: BrokerNamespace;
  readonly strategy: string;
  /** Running on this instance (false: removed, disabled, or run by another instance). */
  readonly running: boolean;
  readonly instruments: readonly string[];
  /** Ticks its actor handled on this instance. */
  readonly ticks: number;
  readonly signals: number;
  readonly rejected: number;
  readonly fills: number;
  readonly failed: number;
  readonly positions: ReadonlyArray<{ readonly instrument: string; readonly token: number; readonly quantity: number }>;
  /** Rupees. */
  readonly realized: number;
  readonly unrealized: number;
  readonly fees: number;
  readonly net: number;
  readonly cash: number;
}

export interface SummaryData {
  readonly strategies: readonly StrategySummary[];
  readonly totals: ReadonlyArray<{ readonly namespace: BrokerNamespace; readonly signals: number; readonly rejected: number; readonly fills: number; readonly failed: number; readonly net: number; readonly cash: number; readonly state: string }>;
  readonly rejections: Readonly<Record<string, number>>;
  readonly ticks: number;
  readonly suppressed: number;
}


/** The run's outcome as data: what `--json` prints and the table is made from. */
export function summaryData(p: Pipeline, catalogue: InstrumentCatalogue): SummaryData {
  const symbol = (tok: number) => catalogue.get(tok)?.symbol ?? String(tok);
  const mark = (tok: number) => p.prices.get(tok)?.last;
  const strategies: StrategySummary[] = [];
  const totals: Array<SummaryData['totals'][number]> = [];
  const running = new Map(p.strategyInstances().map((i) => [i.id, i]));
  for (const ns of p.namespaces) {
    // The books are kept by the instance running the chain; another instance reports its strategies' counts.
    const book = p.portfolios.get(ns);
    let cash = 0;
    // Strategies running here, and any the book holds an account for (removed, disabled, or run elsewhere).
    const ids = [...new Set([...running.keys(), ...(book?.ids().filter((id) => book.account(id).fills > 0) ?? [])])].sort();
    for (const id of ids) {
      const c = { ...p.stats.strategy(id), ...p.stats.outcomesOf(ns, id) };
      const t = book?.totals(id, mark) ?? { realized: 0, unrealized: 0, fees: 0, net: 0, cash: 0 };
      cash += t.cash;
      const positions = [...(book?.account(id).positions ?? [])].filter(([, pos]) => pos.quantity !== 0).map(([tok, pos]) => ({ instrument: symbol(tok), token: tok, quantity: pos.quantity }));
      const instruments = running.get(id)?.instruments ?? positions.map((x) => x.token);
      strategies.push({ namespace: ns, strategy: id, running: running.has(id), instruments: instruments.map(symbol), ticks: c.ticks, signals: book ? c.validated + c.rejected : c.signals, rejected: c.rejected, fills: c.fills, failed: c.failed, positions, realized: toRupees(t.realized), unrealized: toRupees(t.unrealized), fees: toRupees(t.fees), net: toRupees(t.net), cash: toRupees(t.cash) });
    }
    const n = p.stats.outcomesOf(ns);
    totals.push({ namespace: ns, signals: book ? n.validated + n.rejected : p.stats.signals, rejected: n.rejected, fills: n.fills, failed: n.failed, net: toRupees(netPnl(p, ns)), cash: toRupees(cash), state: book ? (p.engines.get(ns)?.state ?? 'ACTIVE') : 'CHAIN ELSEWHERE' });
  }
  return { strategies, totals, rejections: Object.fromEntries(p.stats.rejections), ticks: p.ticks, suppressed: p.stats.suppressed };
}

/** The per-strategy table printed at the end: counts, then P&L per namespace, exact to the paisa. */
export function summaryTable(p: Pipeline, catalogue: InstrumentCatalogue): string {
  const d = summaryData(p, catalogue);
  const money = (r: number) => formatRupees(Math.round(r * 100));
  const rows: string[][] = [['namespace', 'strategy', 'instruments', 'signals', 'rejected', 'fills', 'failed', 'position', 'realized', 'unrealized', 'fees', 'net P&L']];
  for (const total of d.totals) {
    for (const s of d.strategies.filter((x) => x.namespace === total.namespace)) {
      rows.push([s.namespace, s.running ? s.strategy : `${s.strategy} (not running here)`, s.instruments.join(' '), String(s.signals), String(s.rejected), String(s.fills), String(s.failed), s.positions.map((x) => `${x.instrument} ${x.quantity}`).join(', ') || 'flat', money(s.realized), money(s.unrealized), money(s.fees), money(s.net)]);
    }
    rows.push([total.namespace, 'TOTAL', total.state === 'ACTIVE' ? '' : total.state, String(total.signals), String(total.rejected), String(total.fills), String(total.failed), '', '', '', '', money(total.net)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([3, 4, 5, 6, 8, 9, 10, 11]);
  const line = (r: string[]) => r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const rejections = Object.entries(d.rejections).map(([code, n]) => `${code} ${n}`).join(', ');
  const extra = d.suppressed > 0 ? `\nstrategy signals not sent (their account was halted, reducing or closing out): ${d.suppressed}` : '';
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), '', `rejections by reason: ${rejections || 'none'}${extra}`].join('\n');
}

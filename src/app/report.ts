import type { BrokerNamespace } from '../contracts/topics.ts';
import type { InstrumentCatalogue } from '../market/instruments.ts';
import { formatRupees } from '../money.ts';
import type { Pipeline } from './pipeline.ts';

/** What the status line and the summary show: counts from the stats, money from the books. */
export function netPnl(p: Pipeline, ns: BrokerNamespace = 'paper'): number {
  const book = p.portfolios.get(ns);
  if (!book) return 0;
  let net = 0;
  for (const id of book.accounts.keys()) net += book.totals(id, (t) => p.prices.get(t)?.last).net;
  return net;
}

export function statusLine(p: Pipeline, ticksPerSecond: number, elapsedS: number): string {
  const s = p.stats;
  return `[${elapsedS.toFixed(0).padStart(4)}s] ticks/s ${ticksPerSecond.toFixed(0).padStart(7)} | ticks ${p.ticks} | signals ${s.signals} | fills ${s.fills} | rejected ${s.rejected} | failed ${s.failed} | paper P&L ${formatRupees(netPnl(p))}`;
}

/** The per-strategy table printed at the end: counts, then P&L per namespace, exact to the paisa. */
export function summaryTable(p: Pipeline, catalogue: InstrumentCatalogue): string {
  const rows: string[][] = [['namespace', 'strategy', 'instruments', 'signals', 'rejected', 'fills', 'failed', 'position', 'realized', 'unrealized', 'fees', 'net P&L']];
  for (const ns of p.namespaces) {
    const book = p.portfolios.get(ns)!;
    for (const instance of p.strategyInstances()) {
      const c = p.stats.strategy(instance.id);
      const t = book.totals(instance.id, (tok) => p.prices.get(tok)?.last);
      const positions = [...book.account(instance.id).positions].filter(([, pos]) => pos.quantity !== 0).map(([tok, pos]) => `${catalogue.get(tok)?.symbol ?? tok} ${pos.quantity}`);
      rows.push([ns, instance.id, instance.instruments.map((tok) => catalogue.get(tok)?.symbol ?? String(tok)).join(' '), String(c.signals), String(c.rejected), String(c.fills), String(c.failed), positions.join(', ') || 'flat', formatRupees(t.realized), formatRupees(t.unrealized), formatRupees(t.fees), formatRupees(t.net)]);
    }
    rows.push([ns, 'TOTAL', '', String(p.stats.signals), String(p.stats.rejected), String(p.stats.fills), String(p.stats.failed), '', '', '', '', formatRupees(netPnl(p, ns))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([3, 4, 5, 6, 8, 9, 10, 11]);
  const line = (r: string[]) => r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  const rejections = [...p.stats.rejections].map(([code, n]) => `${code} ${n}`).join(', ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), '', `rejections by reason: ${rejections || 'none'}`].join('\n');
}

import type { ChainDivergence, DivergenceSide } from '../contracts/divergence.ts';
import { formatRupees, toPaise, type Paise } from '../money.ts';
import { worstChains, type DivergenceFigures, type LatencyPercentiles } from './compare.ts';
import type { DayDivergence } from './ledger-divergence.ts';

/** `alpha-panda report divergence` as text: the per-strategy table with its total, then the worst chains. */

export interface RenderOptions {
  /** The strategy the report was limited to, if any. */
  readonly strategy?: string | undefined;
  readonly symbol: (token: number) => string;
  readonly worst: number;
}

const signedRupees = (paise: Paise) => `${paise > 0 ? '+' : ''}${formatRupees(paise)}`;
const signedBps = (bps: number | null) => (bps === null ? '-' : `${bps > 0 ? '+' : ''}${bps.toFixed(2)}`);
const ms = (l: LatencyPercentiles) => (l.p50 === null ? '-' : `${l.p50}/${l.p95}`);

function table(rows: readonly string[][], numeric: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function figuresRow(name: string, f: DivergenceFigures): string[] {
  const { paper, live } = f.latencyMs;
  return [name, String(f.chains), String(f.mismatches.outcome), String(f.mismatches.quantity), String(f.mismatches.open), String(f.bothFilled), signedBps(f.meanPriceDifferenceBps), signedBps(f.worstPriceDifferenceBps), signedRupees(f.slippageCostDifferencePaise), signedRupees(f.feesDifferencePaise), ms(paper.firstFill), ms(paper.lastFill), ms(live.firstFill), ms(live.lastFill)];
}

function sideText(s: DivergenceSide): string {
  const at = s.average_price === null ? '' : ` @ ${formatRupees(toPaise(s.average_price))}`;
  switch (s.outcome) {
    case 'filled':
      return `filled ${s.filled_quantity}${at}`;
    case 'partially_filled':
      return `partly ${s.filled_quantity}/${s.validated_quantity}${at}`;
    case 'open':
      return `open 0/${s.validated_quantity}`;
    default:
      return `${s.outcome} ${s.reason_code}`;
  }
}

function chainRow(c: ChainDivergence, symbol: (token: number) => string): string[] {
  const d = c.differences;
  return [c.signal_id.slice(0, 8), c.strategy_id, symbol(c.instrument_token), c.side, String(c.quantity), sideText(c.paper), sideText(c.live), d.average_price === null ? '-' : signedRupees(toPaise(d.average_price)), signedBps(d.average_price_bps), signedRupees(toPaise(d.fees)), c.mismatch];
}

/** Why there is no table, when there is none. */
function nothingToCompare(r: DayDivergence, of: string): string | undefined {
  const { paperOnly, liveOnly } = r.summary.unpaired;
  if (r.day === undefined) return `the ledger holds no paper or live rows${of}: nothing has been traded yet`;
  if (r.chains.length > 0) return undefined;
  if (paperOnly === 0 && liveOnly === 0) return `the ledger holds nothing${of} on ${r.day}`;
  if (liveOnly === 0) return `nothing traded live (zerodha)${of} on ${r.day}: its ${paperOnly} paper chain(s) had no live side to compare with`;
  return `no signal${of} on ${r.day} was traded both ways: ${paperOnly} paper-only and ${liveOnly} live-only chain(s)`;
}

export function divergenceText(r: DayDivergence, o: RenderOptions): string {
  const of = o.strategy ? ` for strategy ${o.strategy}` : '';
  const none = nothingToCompare(r, of);
  if (none) return none;
  const s = r.summary;
  const head = ['strategy', 'chains', 'outcome mismatch', 'qty mismatch', 'still open', 'both filled', 'mean bps', 'worst bps', 'slippage cost', 'charges', 'paper 1st fill ms', 'paper last fill ms', 'live 1st fill ms', 'live last fill ms'];
  const strategies = table([head, ...s.strategies.map((x) => figuresRow(x.strategyId, x)), figuresRow('TOTAL', s.total)], new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
  const worst = worstChains(r.chains, o.worst);
  const chains = table([['signal', 'strategy', 'instrument', 'side', 'qty', 'paper', 'live', 'price', 'bps', 'charges', 'mismatch'], ...worst.map((c) => chainRow(c, o.symbol))], new Set([4, 7, 8, 9]));
  return [
    `paper against live${of} on ${r.day}: ${s.total.chains} signal(s) traded both ways`,
    '',
    strategies,
    '',
    'Differences are live - paper. bps: of the signal price, positive when live filled worse; slippage cost and charges over the chains both sides filled (rupees).',
    'Latency: ms from the risk decision to the first and the last fill, p50/p95.',
    `Not compared: ${s.unpaired.paperOnly} paper-only chain(s) (not traded live), ${s.unpaired.liveOnly} live-only chain(s) (no paper shadow).`,
    '',
    `worst ${worst.length} of ${r.chains.length} chains`,
    chains,
  ].join('\n');
}

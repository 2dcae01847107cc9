import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';

/**
 * How every benchmark times a workload: a warm-up, then at least five timed rounds, reported as the
 * median with the min and max. Each round also says how much of it was garbage collection and how many
 * bytes it allocated, both from V8's GC profiler (the heap used before and after each collection), so a
 * figure carries the cost that timing alone hides. Rounds of two workloads that are compared run
 * alternately in one process (`alternate`): on a shared, noisy machine only same-run ratios mean anything.
 */

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface Round {
  readonly ms: number;
  /** Time spent in garbage collection during the round. */
  readonly gcMs: number;
  /** Bytes allocated on the JS heap during the round (collected or still live at its end). */
  readonly allocatedBytes: number;
}

/** A workload's rounds, summarised. `units` is what one round processes (ticks, messages). */
export interface Summary {
  readonly rounds: number;
  readonly units: number;
  readonly perSec: Spread;
  readonly gcShare: Spread;
  readonly bytesPerUnit: Spread;
}

export const DEFAULT_ROUNDS = 5;

export function spread(values: readonly number[], digits = 0): Spread {
  if (values.length === 0) throw new RangeError('no values to summarise');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r = (x: number) => +x.toFixed(digits);
  return { median: r(median), min: r(s[0]!), max: r(s.at(-1)!) };
}

/** Times one call of `fn` (which may time its own part and return it as `ms`) with its GC cost and allocation. */
export async function measure(fn: () => Promise<number | void> | number | void): Promise<Round> {
  const profiler = new v8.GCProfiler();
  const usedBefore = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const started = performance.now();
  const own = await fn();
  const elapsed = performance.now() - started;
  const usedAfter = v8.getHeapStatistics().used_heap_size;
  const gcs = profiler.stop()?.statistics ?? [];
  let gcUs = 0;
  let freed = 0;
  for (const gc of gcs) {
    gcUs += gc.cost;
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return { ms: typeof own === 'number' ? own : elapsed, gcMs: gcUs / 1000, allocatedBytes: Math.max(0, usedAfter - usedBefore + freed) };
}

export function summarise(rounds: readonly Round[], units: number): Summary {
  return {
    rounds: rounds.length,
    units,
    perSec: spread(rounds.map((r) => (units * 1000) / r.ms)),
    gcShare: spread(rounds.map((r) => r.gcMs / r.ms), 3),
    bytesPerUnit: spread(rounds.map((r) => r.allocatedBytes / units)),
  };
}

/**
 * A workload: what one round processes, and the round itself. `prepare` (untimed) makes what the round
 * needs (a started pipeline) and `cleanup` (untimed) disposes of it, so only `run` is measured.
 */
export interface Workload<P = unknown> {
  readonly units: number;
  prepare?(): Promise<P> | P;
  run(prepared: P): Promise<number | void> | number | void;
  cleanup?(prepared: P): Promise<void> | void;
}

export async function round<P>(w: Workload<P>): Promise<Round> {
  const prepared = (await w.prepare?.()) as P;
  try {
    return await measure(() => w.run(prepared));
  } finally {
    await w.cleanup?.(prepared);
  }
}

/**
 * Runs each workload `warmup` times untimed, then `rounds` timed rounds, the workloads taking turns
 * within each round so that a noisy neighbour hits them alike. Returns each workload's summary.
 */
export async function alternate<K extends string>(workloads: Record<K, Workload<any>>, options: { rounds?: number; warmup?: number } = {}): Promise<Record<K, Summary>> {
  const keys = Object.keys(workloads) as K[];
  const n = Math.max(DEFAULT_ROUNDS, options.rounds ?? DEFAULT_ROUNDS);
  for (let w = 0; w < (options.warmup ?? 1); w++) for (const k of keys) await round(workloads[k]);
  const got = Object.fromEntries(keys.map((k) => [k, [] as Round[]])) as Record<K, Round[]>;
  for (let i = 0; i < n; i++) for (const k of keys) got[k].push(await round(workloads[k]));
  return Object.fromEntries(keys.map((k) => [k, summarise(got[k], workloads[k].units)])) as Record<K, Summary>;
}

/** The ratio of two medians, to three places. */
export const ratio = (a: Summary, b: Summary) => +(a.perSec.median / b.perSec.median).toFixed(3);

/** The V8 and Node flags this process runs with: part of every figure. */
export function flags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ? [`NODE_OPTIONS=${process.env.NODE_OPTIONS}`] : [])];
}

/**
 * `--profile <phase>` on the command line: a CPU profile of that phase is written to
 * bench/results/<phase>.cpuprofile (open it in Chrome DevTools or speedscope). Other phases run unprofiled.
 */
export async function profiled<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const i = process.argv.indexOf('--profile');
  if (i < 0 || process.argv[i + 1] !== phase) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = `bench/results/${phase}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.error(`CPU profile of ${phase} written to ${file}`);
  }
}

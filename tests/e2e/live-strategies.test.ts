import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminResult } from '../../src/control/strategy-admin.ts';
import { cli, spawnCli, type RunningCli } from '../support/cli.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';

/**
 * Strategies changed while `run` trades, as a user does it: `alpha-panda strategies ...` from another
 * shell. With the embedded database the command reaches the running process that holds it (its control
 * socket); with PostgreSQL it writes the database itself. Ticks from the simulator in real time; risk
 * limits without market hours (the wall clock is any hour).
 */
const root = mkdtempSync(join(tmpdir(), 'ap-live-'));
const common = {
  ALPHA_PANDA_DATABASE__ENABLED: 'true',
  LOG_LEVEL: 'info',
  ALPHA_PANDA_RISK__MARKET_HOURS__ENABLED: 'false',
  ALPHA_PANDA_FEED__SIM__TICKS_PER_SECOND: '400',
  // The eager strategies spend Kite's 400 orders a minute within the first minute; the strategies this
  // test adds must not wait for that window to slide (the per-second limit still shares the rate).
  ALPHA_PANDA_RISK__ORDERS_PER_MINUTE: '6000',
  ALPHA_PANDA_TRADING__STRATEGIES_FILE: 'tests/fixtures/eager-strategies.yaml',
};
let env: Record<string, string> = {};
const strategies = (...args: string[]) => cli(['strategies', ...args], env);
const show = (id: string) => {
  const r = strategies('show', id, '--json');
  if (r.code !== 0) throw new Error(`show ${id} failed: ${r.err}`);
  return JSON.parse(r.out) as AdminResult;
};
const judged = (r: AdminResult) => r.activity?.find((a) => a.namespace === 'paper')?.judged ?? 0;

const DATABASES: ReadonlyArray<{ name: string; make(): Promise<{ env: Record<string, string>; db?: TestDatabase }> }> = [
  { name: 'the embedded database (PGlite, reached through the running process)', make: async () => ({ env: { DATABASE_DIR: join(root, 'db') } }) },
  {
    name: 'PostgreSQL (DATABASE_URL)',
    make: async () => {
      const db = await freshPostgres();
      return { env: { DATABASE_URL: db.url! }, db };
    },
  },
];

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(DATABASES)('strategies managed while the system runs: $name', ({ make }) => {
  let run: RunningCli;
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    const made = await make();
    db = made.db;
    env = { ...common, ...made.env };
    run = spawnCli(['run', '--no-status'], env);
    await run.waitFor(() => run.err.includes('alpha panda running'), 60_000, 'the run to start');
  }, 90_000);
  afterAll(async () => {
    run?.kill('SIGINT');
    expect(await run?.exited).toBe(0);
    await db?.drop();
    rmSync(join(root, 'db'), { recursive: true, force: true });
  });

  it('a strategy added trades within a second; bad input is refused with the reason and changes nothing', async () => {
    const params = JSON.stringify({ lookback_period: 2, momentum_threshold: 0.00001, position_size: 1 });
    const added = strategies('add', 'quick', '--type', 'simple_momentum', '--instruments', 'INFY', '--params', params, '--json');
    expect(added.code, added.err).toBe(0);
    const record = (JSON.parse(added.out) as AdminResult).record!;
    const first = await until('its first signal judged', () => {
      const a = show('quick').activity?.find((x) => x.namespace === 'paper');
      return a && a.judged > 0 ? a.firstAt! : undefined;
    });
    // From the change being written to the first verdict on its signal being in the ledger.
    expect(Date.parse(first) - new Date(record.updatedAt).getTime()).toBeLessThan(1000);

    for (const [args, message] of [
      [['update', 'quick', '--set', 'lookback_period=-3'], /strategy 'quick': params\.lookback_period: Too small/],
      [['add', 'quick', '--type', 'simple_momentum', '--instruments', 'INFY', '--params', params], /strategy 'quick' already exists/],
      [['add', 'other', '--type', 'simple_momentum', '--instruments', 'NIFTY 50', '--params', params], /NIFTY 50 is an index/],
      [['add', 'other', '--type', 'moon_phase', '--instruments', 'INFY'], /unknown strategy type 'moon_phase'/],
      [['update', 'quick', '--params', '[1,2]'], /--params must be a JSON object/],
    ] as const) {
      const r = strategies(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(show('quick').record!.version).toBe(record.version);
    expect(strategies('show', 'other').code).toBe(2);
  }, 60_000);

  it('updated parameters apply to what it sends next; disabled it stops; removed, what it holds is reported', async () => {
    const updated = strategies('update', 'quick', '--set', 'position_size=4');
    expect(updated.code, updated.err).toBe(0);
    // Each look is a CLI process (about a second, several on a loaded machine): the wait is for the market
    // to give a signal that passes the eager strategies' crowded rate limit, not a latency bound.
    await until('a fill of the new size', () => (show('quick').activity?.find((a) => a.namespace === 'paper')?.lastFillQuantity === 4 ? true : undefined), 80_000);

    expect(strategies('disable', 'quick').code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const stopped = judged(show('quick'));
    await new Promise((r) => setTimeout(r, 2000));
    expect(judged(show('quick'))).toBe(stopped);
    expect(run.err).toMatch(/"strategy":"quick".*"why":"disabled"/);

    const removed = strategies('remove', 'quick');
    expect(removed.code).toBe(0);
    expect(removed.out).toMatch(/removed quick \(version \d+\)(: it held nothing|\. It still holds \d+ INFY \(paper\): nothing will close that for it now)/);
    expect(strategies('list').out).not.toMatch(/^quick /m);
  }, 130_000);
});

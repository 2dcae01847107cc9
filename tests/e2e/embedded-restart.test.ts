import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.ts';
import { rootLogger } from '../../src/log.ts';
import { toPaise } from '../../src/money.ts';
import { cli, spawnCli } from '../support/cli.ts';
import type { RunSummary } from '../support/deployment.ts';

/**
 * `npm start` as a user has it: the embedded database in a folder, the in-process bus, the simulator.
 * What one run leaves, the next starts from, after a clean stop or a kill -9 alike.
 */
const root = mkdtempSync(join(tmpdir(), 'ap-embedded-'));
const dir = join(root, 'db');
const env = { ALPHA_PANDA_DATABASE__ENABLED: 'true', DATABASE_DIR: dir, ALPHA_PANDA_FEED__SIM__PACE: 'fast' };

/** A run without ticks: only what the database gave it. */
function restored(): RunSummary {
  const r = cli(['run', '--feed', 'none', '--duration', '1', '--json', '--no-status'], env);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as RunSummary;
}

/** Every strategy's positions and cash as the ledger's fills add them up (the initial capital from config/default.yaml). */
async function fromLedger(): Promise<Record<string, { positions: Record<string, number>; cash: number }>> {
  const db = await Database.open({ enabled: true, url: null, dir }, rootLogger);
  try {
    const rows = await db.em().execute<Array<{ strategy_id: string; instrument_token: string; side: string; quantity: number; fill_price_paise: string; fees_paise: string; order_id: string; fill_id: string }>>(`select * from ledger_entry where kind = 'filled' and namespace = 'paper'`);
    expect(new Set(rows.map((r) => `${r.order_id}|${r.fill_id}`)).size).toBe(rows.length);
    const out: Record<string, { positions: Record<string, number>; cash: number }> = {};
    for (const r of rows) {
      const a = (out[r.strategy_id] ??= { positions: {}, cash: toPaise(1_000_000) });
      const q = r.side === 'BUY' ? r.quantity : -r.quantity;
      a.positions[r.instrument_token] = (a.positions[r.instrument_token] ?? 0) + q;
      a.cash += -q * Number(r.fill_price_paise) - Number(r.fees_paise);
    }
    return out;
  } finally {
    await db.close();
  }
}

const held = (s: RunSummary) => Object.fromEntries(s.summary!.strategies.map((x) => [x.strategy, { positions: x.positions.map((p) => `${p.instrument} ${p.quantity}`).sort(), realized: x.realized, fees: x.fees, cash: x.cash }]));

describe('the embedded database keeps state across restarts', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a clean stop: the next start holds what the last one ended with', () => {
    const first = cli(['run', '--sim-seconds', '900', '--pace', 'fast', '--json', '--no-status'], env);
    expect(first.code, first.err).toBe(0);
    const ended = JSON.parse(first.out) as RunSummary;
    expect(ended.summary!.totals[0]!.fills).toBeGreaterThan(20);
    expect(held(restored())).toEqual(held(ended));
  }, 120_000);

  it('kill -9 mid-run: the next start holds exactly what the ledger recorded, each fill once', async () => {
    const p = spawnCli(['run', '--sim-seconds', '3600', '--pace', 'fast', '--no-status'], { ...env, LOG_LEVEL: 'info' });
    await p.waitFor(() => p.err.includes('"msg":"alpha panda running"'), 60_000, 'the run to start');
    await new Promise((r) => setTimeout(r, 4000));
    p.kill('SIGKILL');
    await p.exited;
    // The next start also completes what the kill interrupted (a validated signal not yet executed is
    // executed then, once): its books equal the ledger as it stands after that start.
    const after = restored();
    const ledger = await fromLedger();
    for (const s of after.summary!.strategies) {
      const want = ledger[s.strategy] ?? { positions: {}, cash: toPaise(1_000_000) };
      expect(toPaise(s.cash), `cash of ${s.strategy}`).toBe(want.cash);
      const positions = Object.fromEntries(Object.entries(want.positions).filter(([, q]) => q !== 0));
      expect(Object.fromEntries(s.positions.map((x) => [String(x.token), x.quantity])), `positions of ${s.strategy}`).toEqual(positions);
    }
  }, 120_000);
});

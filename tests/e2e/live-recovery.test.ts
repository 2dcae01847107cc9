import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../src/db/database.ts';
import { rootLogger } from '../../src/log.ts';
import { KiteServer } from '../kite/server.ts';
import { spawnCli, type RunningCli } from '../support/cli.ts';
import { waitFor } from '../support/harness.ts';
import { freshPostgres, type TestDatabase } from '../support/databases.ts';
import { freePort, INFY, LIVE_STRATEGIES, liveEnv, swing } from '../support/live.ts';

/**
 * The CLI as a trader runs it live, killed with -9 while Kite holds an order it accepted and the process
 * never recorded: the restart finds the order by its tag, adopts it, and records its fills once. On
 * PostgreSQL, as a live deployment keeps its ledger (the embedded database's kill -9 is embedded-restart's).
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await freshPostgres();
});
afterAll(() => database.drop());

/** A one-shot command that talks to the Kite server in this process: spawned, not run synchronously. */
async function command(args: string[], env: Record<string, string>): Promise<RunningCli & { code: number | null }> {
  const c = spawnCli(args, env);
  return Object.assign(c, { code: await c.exited });
}

const runArgs = ['run', '--feed', 'kite', '--strategies', LIVE_STRATEGIES, '--no-status'];

describe('a live run killed mid-placement', () => {
  it('places no second order after the restart, and records the fill once', async () => {
    const server = await KiteServer.start({ fillDelayMs: 30 });
    const port = await freePort();
    const env = { ...liveEnv(server, port, 'unused'), DATABASE_URL: database.url! };
    try {
      const login = await command(['session', 'login', '--request-token', server.login()], env);
      expect(login.code, login.err).toBe(0);
      expect(login.out).toMatch(/logged in as AB1234/);
      expect(login.out + login.err).not.toMatch(new RegExp(server.apiSecret));

      const status = await command(['session', 'status'], env);
      expect(status.out).toMatch(/user AB1234, logged in by request token, expires .*; Kite accepts it/);

      const first = spawnCli(runArgs, env);
      await first.waitFor(() => first.err.includes('Kite instruments subscribed'), 60_000, 'the feed to subscribe');
      // Kite will take the order and answer only after five seconds: the process dies before it hears.
      server.faults.latencyMs = 5000;
      // The market swings until the strategy signals (a loaded machine may take more than one swing).
      for (const deadline = Date.now() + 30_000; server.placements.length === 0 && Date.now() < deadline; ) {
        for (const p of swing(1430, 60)) {
          if (server.placements.length > 0) break;
          server.setQuote(INFY, { last_price: p });
          await new Promise((r) => setTimeout(r, 60));
        }
      }
      expect(server.placements.length).toBeGreaterThan(0);
      first.kill('SIGKILL');
      await first.exited;
      server.faults.latencyMs = 0;
      const killedWith = server.placements.length;

      const second = spawnCli(runArgs, env);
      await second.waitFor(() => second.err.includes('adopted, not placed again'), 60_000, 'the order to be adopted');
      await waitFor(() => server.trades().length >= killedWith, 'the order to fill at Kite', 20_000);
      // The tracker's poll (300 ms here) records the fills; then a clean stop.
      await new Promise((r) => setTimeout(r, 1500));
      second.kill('SIGINT');
      expect(await second.exited).toBe(0);
      expect(second.err).toMatch(/reconciliation found \d+ difference/);

      // One order per tag at Kite, and the ledger holds each order once and each of its trades once.
      expect(new Set(server.placements.map((p) => p.tag)).size).toBe(server.placements.length);
      expect(server.placements.length).toBe(killedWith);
      const db = await Database.open(database.settings, rootLogger);
      try {
        const rows = await db.em().execute<Array<{ kind: string; order_id: string; fill_id: string | null }>>(`select kind, order_id, fill_id from ledger_entry where namespace = 'zerodha'`);
        const placed = rows.filter((r) => r.kind === 'placed').map((r) => r.order_id).sort();
        expect(placed).toEqual(server.placements.map((p) => p.order_id).sort());
        const fills = rows.filter((r) => r.kind === 'filled').map((r) => `${r.order_id}|${r.fill_id}`).sort();
        expect(fills).toEqual((server.trades() as Array<{ order_id: string; trade_id: string }>).map((t) => `${t.order_id}|${t.trade_id}`).sort());
      } finally {
        await db.close();
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});

import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FoundChain } from '../../src/chains/find-chain.ts';
import type { Envelope } from '../../src/contracts/envelope.ts';
import { Database } from '../../src/db/database.ts';
import { LedgerEntryRow } from '../../src/db/entities.ts';
import { rootLogger } from '../../src/log.ts';
import { cli, NIFTY_DAY_ARGS, spawnCli } from '../support/cli.ts';
import { collect, makeTransport, privateBroker, waitFor } from '../support/harness.ts';
import { decodeAll } from '../support/pipeline.ts';

/** The table's rows (below the heading, up to the blank line), split into their columns. */
const rowsOf = (out: string) => {
  const lines = out.split('\n');
  const head = lines.findIndex((l) => l.startsWith('STAGE'));
  return lines.slice(head + 1, lines.indexOf('', head)).map((l) => l.split(/\s{2,}/));
};

describe('alpha-panda trace', () => {
  const root = mkdtempSync(join(tmpdir(), 'ap-trace-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints a filled chain of a replayed day from the embedded ledger, hop by hop, opened itself or asked of the run that holds it', async () => {
    const dir = join(root, 'db');
    const env = { ALPHA_PANDA_DATABASE__ENABLED: 'true', DATABASE_DIR: dir };
    const replayed = cli(['replay', ...NIFTY_DAY_ARGS, '--no-status'], env);
    expect(replayed.code, replayed.err).toBe(0);
    const db = await Database.open({ enabled: true, url: null, dir }, rootLogger);
    const fill = (await db.em().find(LedgerEntryRow, { kind: 'filled', namespace: 'paper' }, { limit: 1, orderBy: { eventTs: 'asc' } }))[0]!.event as unknown as Envelope<'order_filled'>;
    await db.close();

    const traced = cli(['trace', fill.correlation_id], env);
    expect(traced.code, traced.err).toBe(0);
    const lines = traced.out.split('\n');
    expect(lines[0]).toBe(`signal ${fill.data.signal_id}: ${fill.data.strategy_id} ${fill.data.signal_type} ${fill.data.quantity} NIFTY25AUGFUT`);
    const rows = rowsOf(traced.out);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ['signal', 'paper', 'trading_signal', 'paper.signals.raw'],
      ['verdict', 'paper', 'validated_signal', 'paper.signals.validated'],
      ['order', 'paper', 'order_placed', 'paper.orders.submitted'],
      ['fill', 'paper', 'order_filled', 'paper.orders.filled'],
    ]);
    const [, verdict, order, filled] = rows;
    expect(filled![4]).toBe(fill.ts);
    expect(filled!.at(-1)).toBe(`fill ${fill.data.fill_id}: ${fill.data.quantity} @ ${fill.data.fill_price}, fees ${fill.data.fees}`);
    // ms since the previous hop, from the envelopes' own times.
    expect(Number(order![5])).toBe(Date.parse(order![4]!) - Date.parse(verdict![4]!));
    expect(Number(filled![5])).toBe(Date.parse(fill.ts) - Date.parse(order![4]!));
    expect(traced.out).toContain(`outcome: paper filled (${fill.data.quantity})`);
    expect(traced.out).toContain(`(read from the ledger in ${dir})`);

    const unknown = randomUUID();
    expect(cli(['trace', unknown], env)).toMatchObject({ code: 1, out: '', err: `no chain ${unknown} in the ledger in ${dir}\n` });
    const malformed = cli(['trace', 'order-42'], env);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain("'order-42' is not a correlation id");

    // While a run holds the embedded database, the command asks it, through its control socket.
    const running = spawnCli(['run', '--feed', 'none', '--no-status'], env);
    try {
      await waitFor(() => existsSync(`${dir}.sock`), 'the running process to serve its control socket', 30_000);
      const asked = cli(['trace', fill.correlation_id], env);
      expect(asked.code, asked.err).toBe(0);
      expect(rowsOf(asked.out)).toEqual(rows);
      expect(asked.out).toMatch(/\(read from the ledger in .* \(through the running alpha-panda, pid \d+\)\)/);
    } finally {
      running.kill('SIGINT');
      await running.exited;
    }
  }, 120_000);

  it('reads a filled chain back from the Kafka log with --bus kafka, every hop timed from the signal', async () => {
    const broker = await privateBroker();
    try {
      const replayed = cli(['replay', ...NIFTY_DAY_ARGS, '--bus', 'kafka', '--brokers', broker.bootstrap, '--no-status']);
      expect(replayed.code, replayed.err).toBe(0);
      const transport = makeTransport('kafka', 20, broker.bootstrap);
      let fill: Envelope<'order_filled'>;
      try {
        fill = decodeAll(await collect(transport, 'paper.orders.filled', 1))[0] as Envelope<'order_filled'>;
      } finally {
        await transport.close();
      }
      const traced = cli(['trace', fill.correlation_id, '--bus', 'kafka', '--brokers', broker.bootstrap, '--json']);
      expect(traced.code, traced.err).toBe(0);
      const found = JSON.parse(traced.out) as FoundChain;
      expect(found).toMatchObject({ from: 'log', complete: true, signalId: fill.data.signal_id });
      const [paper] = found.namespaces;
      expect(found.namespaces).toHaveLength(1);
      expect(paper!.hops.map((h) => h.type)).toEqual(['trading_signal', 'validated_signal', 'order_placed', 'order_filled']);
      const [signal] = paper!.hops;
      expect([signal!.eventId, signal!.sinceSignalMs]).toEqual([fill.correlation_id, 0]);
      for (const h of paper!.hops) expect(h.sinceSignalMs).toBe(Date.parse(h.ts!) - Date.parse(signal!.ts!));
      expect(paper!.hops.at(-1)!.eventId).toBe(fill.id);
      expect(paper!.outcome).toBe('filled');
    } finally {
      await broker.stop();
    }
  }, 120_000);
});

import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { Database } from '../db/database.ts';
import { ledgerDivergence } from '../divergence/ledger-divergence.ts';
import { divergenceText } from '../divergence/render.ts';
import { ConfigError, DatabaseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';

/**
 * `alpha-panda report ...`: what the ledger in the database says, read only. It opens the database
 * itself: an embedded one held by a running `run` is refused with who holds it (PostgreSQL is shared).
 */

type Setup = () => { config: Config; log: Logger };

const Day = z.iso.date();

function tradingDay(raw: string): string {
  if (!Day.safeParse(raw).success) throw new InvalidArgumentError(`--day takes a trading day as YYYY-MM-DD, got '${raw}'`);
  return raw;
}

function symbols(config: Config): (token: number) => string {
  const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
  return (t) => catalogue.get(t)?.symbol ?? String(t);
}

interface DivergenceFlags {
  day?: string;
  strategy?: string;
  json?: boolean;
}

/** Adds `report` to the program (made with `command`, so it inherits its exit and output settings). */
export function addReportCommand(program: Command, setup: Setup): Command {
  const cmd = program.command('report').description('reports read from the ledger in the database');
  cmd
    .command('divergence')
    .description('paper against live for every signal traded both ways on a trading day: outcomes, fill prices, slippage, charges and latency, per strategy and in total')
    .option('--day <YYYY-MM-DD>', 'the trading day (IST); default the latest in the ledger', tradingDay)
    .option('--strategy <id>', 'one strategy only')
    .option('--json', 'print the summary and every chain compared as JSON')
    .action(async (o: DivergenceFlags) => {
      const { config, log } = setup();
      if (!config.database.enabled) throw new ConfigError(['report: the database is switched off (database.enabled: false), so no ledger is kept to report from']);
      const db = await Database.open(config.database, log);
      try {
        const pending = await db.pending();
        if (pending.length > 0) throw new DatabaseError(`${db.where} has migrations not applied (${pending.join(', ')}): alpha-panda migrate applies them`, { retriable: false });
        const report = await ledgerDivergence(db, { day: o.day, strategy: o.strategy });
        process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : `${divergenceText(report, { strategy: o.strategy, symbol: symbols(config), worst: 10 })}\n`);
      } finally {
        await db.close();
      }
    });
  return cmd;
}

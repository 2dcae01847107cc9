import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { transportFor } from '../app/system.ts';
import { chainText } from '../chains/chain-view.ts';
import { DEFAULT_SCAN_TIMEOUT_MS, findChain, isChainId, type ChainSource, type FoundChain } from '../chains/find-chain.ts';
import type { Config } from '../config/schema.ts';
import { Database } from '../db/database.ts';
import { readLock } from '../db/lock.ts';
import { ConfigError, DatabaseError, NotFound } from '../errors.ts';
import type { Logger } from '../log.ts';
import { InstrumentCatalogue } from '../market/instruments.ts';

/**
 * `alpha-panda trace <correlation_id>`: a signal's chain read back, hop by hop with the time each took,
 * paper and live side by side. From the ledger when a database is configured (an embedded one held by a
 * running `run` is asked through its control socket), from the log with `--bus kafka` (or without a
 * database, on a Kafka deployment).
 */

type Setup = (o: { bus?: 'memory' | 'kafka'; brokers?: string }) => { config: Config; log: Logger };

interface TraceFlags {
  bus?: 'memory' | 'kafka';
  brokers?: string;
  timeout?: number;
  json?: boolean;
}

const chainId = (raw: string) => {
  if (!isChainId(raw)) throw new InvalidArgumentError(`'${raw}' is not a correlation id (a UUID, e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301)`);
  return raw.toLowerCase();
};

const seconds = (raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--timeout must be a positive number of seconds, got '${raw}'`);
  return n;
};

/** Reads the chain from wherever the configuration (and --bus) says it is kept. */
async function lookUp(config: Config, log: Logger, id: string, o: TraceFlags): Promise<{ found: FoundChain | undefined; where: string }> {
  const fromLog = o.bus === 'kafka' || (!config.database.enabled && config.bus === 'kafka');
  if (fromLog) {
    const transport = transportFor(config, log);
    try {
      return { found: await findChain({ transport, timeoutMs: (o.timeout ?? DEFAULT_SCAN_TIMEOUT_MS / 1000) * 1000 }, id), where: `the log on ${config.kafka.brokers.join(',')}` };
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
  const { database } = config;
  if (o.bus === 'memory' || !database.enabled) throw new ConfigError(["trace: the in-process bus keeps nothing once its run has ended: read chains from the ledger (a database: database.enabled) or from Kafka's log (--bus kafka)"]);
  if (!database.url && database.dir.startsWith('memory://')) throw new ConfigError([`trace: the database is in memory (${database.dir}): nothing outlives the run that had it`]);
  if (!database.url) {
    const running = readLock(`${resolve(database.dir)}.lock`);
    if (running) return { found: await findChain({ socket: running.socket } satisfies ChainSource, id), where: `the ledger in ${database.dir} (through the running alpha-panda, pid ${running.pid})` };
  }
  const db = await Database.open(database, log);
  try {
    const pending = await db.pending();
    if (pending.length > 0) throw new DatabaseError(`${db.where} has migrations not applied (${pending.join(', ')}): alpha-panda migrate applies them`, { retriable: false });
    return { found: await findChain({ db }, id), where: `the ledger in ${db.where}` };
  } finally {
    await db.close();
  }
}

/** Adds `trace` to the program (made with `command`, so it inherits its exit and output settings). */
export function addTraceCommand(program: Command, setup: Setup): Command {
  return program
    .command('trace')
    .description("a signal's chain read back: signal -> risk verdict -> order placed -> fills or failure, paper and live side by side, with each hop's time and the ms since the previous hop and since the signal. From the ledger when a database is configured, from Kafka's log with --bus kafka")
    .argument('<correlation_id>', "the chain's correlation id (its signal event's id, as logs and traces carry it), or the signal id the paper and live chains share", chainId)
    .addOption(new Option('--bus <bus>', 'kafka: read the chain topics of the log instead of the ledger').choices(['memory', 'kafka']))
    .option('--brokers <list>', 'Kafka/Redpanda brokers, host:port[,host:port] (with --bus kafka)')
    .option('--timeout <seconds>', `with the log: stop reading after this long and show what was found (default ${DEFAULT_SCAN_TIMEOUT_MS / 1000})`, seconds)
    .option('--json', 'print the chain as JSON')
    .action(async (id: string, o: TraceFlags) => {
      const { config, log } = setup({ ...(o.bus ? { bus: o.bus } : {}), ...(o.brokers ? { brokers: o.brokers } : {}) });
      const { found, where } = await lookUp(config, log, id, o);
      if (!found) throw new NotFound(`no chain ${id} in ${where}`);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(found)}\n`);
      } else {
        const catalogue = InstrumentCatalogue.load(config.trading.instrumentsFile);
        process.stdout.write(`${chainText(found, { symbol: (t) => catalogue.get(t)?.symbol ?? String(t) })}\n(read from ${where})\n`);
      }
      if (!found.complete) process.stderr.write(`the chain may be incomplete: ${found.unread.join('; ')}\n`);
    });
}

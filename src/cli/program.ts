import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runFeed } from '../app/feed.ts';
import { healthChecks } from '../app/health.ts';
import { instanceIdOf, run, type FeedChoice, type RunResult } from '../app/run.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { AlphaPandaError, ConfigError, FeedIncomplete, InputError, NotFound, Unhealthy } from '../errors.ts';
import { logToFile, rootLogger, type Logger } from '../log.ts';
import { startTracing } from '../telemetry/tracing.ts';
import { VERSION } from '../version.ts';
import { EXIT, exitCodeOf } from './exit-codes.ts';
import type { Signals } from './signals.ts';
import { addApiCommand } from './api.ts';
import { addReportCommand } from './report.ts';
import { addSessionCommand } from './session.ts';
import { addStrategiesCommand } from './strategies.ts';
import { addTraceCommand } from './trace.ts';
import { Database } from '../db/database.ts';

/** `alpha-panda`: commander gives --help on every command and clear errors for bad flags. */


const positiveNumber = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive number, got '${raw}'`);
  return n;
};
const token = (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`an instrument token is a positive integer, got '${raw}'`);
  return n;
};

const portNumber = (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`--http takes a port, 0 to 65535 (0: any free port), got '${raw}'`);
  return n;
};

const workerCount = (raw: string) => {
  const n = Number(raw);
  if (raw !== 'auto' && (!Number.isInteger(n) || n < 1 || n > 64)) throw new InvalidArgumentError(`--workers takes a whole number of threads, 1 to 64, or auto, got '${raw}'`);
  return raw === 'auto' ? raw : n;
};

interface Common {
  bus?: 'memory' | 'kafka';
  workers?: number | 'auto';
  http?: number;
  brokers?: string;
  strategies?: string;
  duration?: number;
  status: boolean;
  json?: boolean;
  token?: number;
  as?: string;
}

function overrides(o: Common, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tree: Record<string, unknown> = { ...extra };
  if (o.bus) tree.bus = o.bus;
  if (o.brokers) tree.kafka = { brokers: o.brokers.split(',').map((b) => b.trim()).filter(Boolean) };
  if (o.strategies) tree.trading = { strategiesFile: o.strategies };
  if (o.http !== undefined) tree.http = { port: o.http };
  if (o.workers !== undefined) tree.workers = o.workers;
  return tree;
}

/**
 * Configuration first (validated), then the logger it describes. `quiet`: the output is the command's
 * own (a status line that owns the terminal, or a one-shot command's answer), so logs drop to warnings
 * unless LOG_LEVEL asks for more.
 */
function setup(o: Common, extra: Record<string, unknown>, quiet: boolean): { config: Config; log: Logger } {
  const config = loadConfig(process.env, overrides(o, extra));
  const level = process.env.LOG_LEVEL ? config.log.level : quiet ? 'warn' : config.log.level;
  const log = config.log.file ? logToFile(config.log.file, level) : rootLogger;
  log.level = level;
  return { config, log };
}

/** Installed by main.ts before anything else loads, so Ctrl-C is handled from the first moment. */
let signals!: Signals;

function printRun(result: RunResult, o: Common): void {
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ stoppedBy: result.stoppedBy, published: result.published, ...(result.replay ? { replay: { format: result.replay.format, gaps: result.replay.gaps } } : {}), summary: result.data ?? null })}\n`);
    return;
  }
  if (!result.summary) {
    const p = result.progress;
    process.stdout.write(`stopped (${result.stoppedBy}) during start-up${p.groups ? `, with ${p.assigned} of ${p.groups} consumer groups joined` : ''}: nothing traded\n`);
    return;
  }
  process.stdout.write(`\n${result.summary}\n`);
  if (result.replay) process.stdout.write(`replayed ${result.published} ticks (${result.replay.format}, ${result.replay.gaps} gap(s) in the data)\n`);
}

async function start(o: Common, feed: FeedChoice, extra: Record<string, unknown>, stopWhenReplayed: boolean): Promise<void> {
  const { config, log } = setup(o, extra, o.status);
  const tracing = startTracing(config.telemetry, log, instanceIdOf(config));
  const result = await run({
    config,
    feed,
    stopWhenReplayed,
    status: o.status,
    log,
    signal: signals.signal,
    onStopping: (reason) => signals.deadline(config.shutdownTimeoutMs, reason),
    launchedAt: signals.launchedAt,
    ...(o.duration !== undefined ? { durationS: o.duration } : {}),
  }).finally(() => tracing.shutdown());
  printRun(result, o);
}

const program = new Command('alpha-panda')
  .description('Actor-model stream-processing trading for Indian markets: paper-trades every strategy, trades live the ones enabled for it.')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError('(alpha-panda --help lists the commands; alpha-panda <command> --help its options)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const busOptions = (c: Command) =>
  c
    .addOption(new Option('--bus <bus>', 'message bus: memory (in-process) or kafka').choices(['memory', 'kafka']))
    .option('--brokers <list>', 'Kafka/Redpanda brokers, host:port[,host:port] (with --bus kafka; default KAFKA_BROKERS or localhost:9092)')
    .option('--strategies <file>', 'strategies file (default config/strategies.yaml)')
    .option('--duration <seconds>', 'stop by itself after this many seconds', positiveNumber('--duration'))
    .option('--no-status', 'no live status line');

/** Run and replay: the threads the embedded pipeline's market side is sharded over. */
const workersOption = (c: Command) => c.option('--workers <n>', "threads the price caches and strategies are sharded over by instrument (in-process bus; default ALPHA_PANDA_WORKERS, else auto: one per core when the simulator is the feed, 1 otherwise; 1: all in the main thread)", workerCount);

workersOption(busOptions(
  program
    .command('run')
    .description('run the whole system: feed, strategies, risk, execution, portfolio (Ctrl-C stops cleanly and prints the summary)')
    .addOption(new Option('--feed <feed>', "where ticks come from: sim (seeded random walk), replay (--file), kite (Zerodha's live market data), or none (another process publishes market.ticks)").choices(['sim', 'replay', 'kite', 'none']).default('sim'))
    .option('--file <path>', 'the replay file for --feed replay')
    .option('--token <token>', 'instrument token of a replay file without an instrument column', token)
    .option('--as <symbol>', 'replay a one-instrument file as the ticks of this instrument (e.g. an index day as its future)')
    .option('--ticks-per-second <n>', 'simulated ticks per second', positiveNumber('--ticks-per-second'))
    .addOption(new Option('--pace <pace>', 'realtime, or fast: as fast as the pipeline takes ticks (the simulator then runs in simulated time)').choices(['fast', 'realtime']))
    .option('--sim-seconds <n>', 'with --pace fast: simulate this many seconds of market, then stop with the summary', positiveNumber('--sim-seconds'))
    .option('--http <port>', 'serve the API, the dashboard and /metrics on this port (0: any free port; npm start: 8080; default HTTP_PORT, else none)', portNumber)
    .option('--json', 'print the summary as JSON (stdout)'),
)).action(async (o: Common & { feed: 'sim' | 'replay' | 'kite' | 'none'; file?: string; ticksPerSecond?: number; pace?: 'fast' | 'realtime'; simSeconds?: number }) => {
  if (o.feed === 'replay' && !o.file) throw new InvalidArgumentError('--feed replay needs --file <path> (or use: alpha-panda replay <file>)');
  if (o.feed !== 'replay' && o.file) throw new InvalidArgumentError(`--file is for --feed replay (the feed is ${o.feed})`);
  if (o.simSeconds !== undefined && (o.feed !== 'sim' || o.pace !== 'fast')) throw new InvalidArgumentError('--sim-seconds is for --feed sim --pace fast');
  const feed: FeedChoice = o.feed === 'replay' ? { kind: 'replay', file: o.file!, ...(o.token ? { token: o.token } : {}), ...(o.as ? { as: o.as } : {}) } : { kind: o.feed };
  const sim: Record<string, unknown> = {};
  if (o.ticksPerSecond) sim.ticksPerSecond = o.ticksPerSecond;
  if (o.pace && o.feed === 'sim') sim.pace = o.pace;
  if (o.simSeconds) sim.seconds = o.simSeconds;
  await start(o, feed, { feed: { sim, ...(o.pace && o.feed === 'replay' ? { replay: { pace: o.pace } } : {}) } }, false);
});

workersOption(busOptions(
  program
    .command('replay <file>')
    .description('replay recorded ticks or OHLC bars (CSV or JSONL) through the pipeline, then print the summary')
    .option('--token <token>', 'instrument token, when the file has no instrument column and its name does not say', token)
    .option('--as <symbol>', 'replay a one-instrument file as the ticks of this instrument (e.g. an index day as its future)')
    .addOption(new Option('--pace <pace>', 'fast (as fast as the pipeline takes it) or realtime').choices(['fast', 'realtime']))
    .option('--speed <x>', 'with --pace realtime: this many times real time', positiveNumber('--speed'))
    .option('--http <port>', 'serve the API, the dashboard and /metrics on this port while it runs (0: any free port)', portNumber)
    .option('--json', 'print the summary as JSON (stdout)'),
)).action(async (file: string, o: Common & { pace?: 'fast' | 'realtime'; speed?: number }) => {
  const replayCfg: Record<string, unknown> = {};
  if (o.pace) replayCfg.pace = o.pace;
  if (o.speed) replayCfg.speed = o.speed;
  await start(o, { kind: 'replay', file, ...(o.token ? { token: o.token } : {}), ...(o.as ? { as: o.as } : {}) }, { feed: { replay: replayCfg } }, true);
});

busOptions(
  program
    .command('feed <source>')
    .description("publish ticks to market.ticks and nothing else: source is sim, kite (Zerodha's live market data, on the stored session), or a replay file (run pipelines with run --feed none)")
    .option('--token <token>', 'instrument token of a replay file without an instrument column', token)
    .option('--as <symbol>', 'publish a one-instrument file as the ticks of this instrument')
    .option('--ticks-per-second <n>', 'simulated ticks per second', positiveNumber('--ticks-per-second')),
).action(async (source: string, o: Common & { ticksPerSecond?: number }) => {
  const { config, log } = setup(o, o.ticksPerSecond ? { feed: { sim: { ticksPerSecond: o.ticksPerSecond } } } : {}, false);
  if (config.bus === 'memory') throw new ConfigError(["feed: on the in-process bus (BUS=memory) no other process can read the ticks: use --bus kafka, or 'run', which feeds its own pipeline"]);
  const feed = source === 'sim' || source === 'kite' ? ({ kind: source } as const) : ({ kind: 'replay', file: source, ...(o.token ? { token: o.token } : {}), ...(o.as ? { as: o.as } : {}) } as const);
  const tty = process.stderr.isTTY;
  const { published, unconfirmed, stoppedBy } = await runFeed({
    config,
    feed,
    log,
    signal: signals.signal,
    onStopping: (reason) => signals.deadline(config.shutdownTimeoutMs, reason),
    ...(o.status ? { status: (line: string) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`) } : {}),
    ...(o.duration !== undefined ? { durationS: o.duration } : {}),
  });
  if (o.status && tty) process.stderr.write('\n');
  process.stdout.write(`published ${published - unconfirmed} ticks to market.ticks (${stoppedBy})\n`);
  if (unconfirmed > 0) throw new FeedIncomplete(unconfirmed);
});

addStrategiesCommand(program, () => setup({ status: false }, {}, true));
addSessionCommand(program, () => setup({ status: false }, {}, true));
addReportCommand(program, () => setup({ status: false }, {}, true));
addApiCommand(program);
addTraceCommand(program, (o) => setup({ status: false, ...o }, {}, true));

program
  .command('migrate')
  .description("apply the database migrations not yet applied (run does this at start too); the database is DATABASE_URL's, else the embedded one in database.dir")
  .action(async () => {
    const { config, log } = setup({ status: false }, {}, true);
    if (!config.database.enabled) throw new ConfigError(['migrate: the database is switched off (database.enabled: false)']);
    const db = await Database.open(config.database, log);
    try {
      const applied = await db.migrate();
      process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${db.where}\n` : `${db.where} is up to date\n`);
    } finally {
      await db.close();
    }
  });

program
  .command('health')
  .description("checks that the broker answers and the database opens with its migrations applied (the image's HEALTHCHECK); exit 1 with the reason when not")
  .action(async () => {
    const { config, log } = setup({ status: false }, {}, true);
    const checks = await healthChecks(config, log);
    for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}\n`);
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) throw new Unhealthy(failed.map((c) => `${c.what}: ${c.detail}`).join('; '));
  });

/** Runs the command line; the process exits with the command's code. */
export async function main(installed: Signals): Promise<never> {
  signals = installed;
  try {
    await program.parseAsync(process.argv);
    process.exit(EXIT.ok);
  } catch (e) {
    // Commander prints its own usage errors (and the help); everything else is one line here.
    // An InvalidArgumentError from an action (commander prints its own parse errors as plain CommanderErrors).
    if (e instanceof InvalidArgumentError) process.stderr.write(`error: ${e.message}\n`);
    else if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
    else if (e instanceof ConfigError || e instanceof InputError || e instanceof NotFound) process.stderr.write(`${e.message}\n`);
    else if (e instanceof AlphaPandaError) process.stderr.write(`alpha-panda stopped: ${e.message}\n`);
    else process.stderr.write(`alpha-panda stopped by a bug: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(exitCodeOf(e));
  }
}

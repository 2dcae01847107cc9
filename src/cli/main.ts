#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runFeed } from '../app/feed.ts';
import { run, type FeedChoice } from '../app/run.ts';
import { loadConfig } from '../config/load.ts';
import { AlphaPandaError, ConfigError, InputError } from '../errors.ts';
import { rootLogger } from '../log.ts';
import { startTracing } from '../telemetry/tracing.ts';

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

/** Ctrl-C (SIGINT) or SIGTERM ends a run cleanly: the feed stops, the pipeline drains, the summary prints. */
function stopOnSignals(): AbortSignal {
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  return abort.signal;
}

interface Common {
  bus?: 'memory' | 'kafka';
  brokers?: string;
  strategies?: string;
  duration?: number;
  status: boolean;
  token?: number;
}

function overrides(o: Common, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const tree: Record<string, unknown> = { ...extra };
  if (o.bus) tree.bus = o.bus;
  if (o.brokers) tree.kafka = { brokers: o.brokers.split(',').map((b) => b.trim()).filter(Boolean) };
  if (o.strategies) tree.trading = { strategiesFile: o.strategies };
  return tree;
}

async function start(o: Common, feed: FeedChoice, extra: Record<string, unknown>, stopWhenReplayed: boolean): Promise<void> {
  const config = loadConfig(process.env, overrides(o, extra));
  // The status line owns the terminal: logs drop to warnings unless LOG_LEVEL says otherwise.
  rootLogger.level = process.env.LOG_LEVEL ?? (o.status ? 'warn' : config.log.level);
  const tracing = startTracing(config.telemetry, rootLogger);
  const result = await run({ config, feed, stopWhenReplayed, status: o.status, log: rootLogger, signal: stopOnSignals(), ...(o.duration !== undefined ? { durationS: o.duration } : {}) }).finally(() => tracing.shutdown());
  process.stdout.write(`\n${result.summary}\n`);
  if (result.replay) process.stdout.write(`replayed ${result.published} ticks (${result.replay.format}, ${result.replay.gaps} gap(s) in the data)\n`);
}

const program = new Command('alpha-panda')
  .description('Actor-model stream-processing trading for Indian markets: paper-trades every strategy, trades live the ones enabled for it.')
  .showHelpAfterError()
  .exitOverride();

const busOptions = (c: Command) =>
  c
    .addOption(new Option('--bus <bus>', 'message bus: memory (in-process) or kafka').choices(['memory', 'kafka']))
    .option('--brokers <list>', 'Kafka/Redpanda brokers, host:port[,host:port] (with --bus kafka; default KAFKA_BROKERS or localhost:9092)')
    .option('--strategies <file>', 'strategies file (default config/strategies.yaml)')
    .option('--duration <seconds>', 'stop by itself after this many seconds', positiveNumber('--duration'))
    .option('--no-status', 'no live status line');

busOptions(
  program
    .command('run', { isDefault: true })
    .description('run the whole system: feed, strategies, risk, execution, portfolio (Ctrl-C stops cleanly and prints the summary)')
    .addOption(new Option('--feed <feed>', 'where ticks come from: sim (seeded random walk), replay (--file), or none (another process publishes market.ticks)').choices(['sim', 'replay', 'none']).default('sim'))
    .option('--file <path>', 'the replay file for --feed replay')
    .option('--token <token>', 'instrument token of a replay file without an instrument column', token)
    .option('--ticks-per-second <n>', 'simulated ticks per second', positiveNumber('--ticks-per-second')),
).action(async (o: Common & { feed: 'sim' | 'replay' | 'none'; file?: string; ticksPerSecond?: number }) => {
  if (o.feed === 'replay' && !o.file) throw new InvalidArgumentError('--feed replay needs --file <path>');
  const feed: FeedChoice = o.feed === 'replay' ? { kind: 'replay', file: o.file!, ...(o.token ? { token: o.token } : {}) } : { kind: o.feed };
  await start(o, feed, o.ticksPerSecond ? { feed: { sim: { ticksPerSecond: o.ticksPerSecond } } } : {}, false);
});

busOptions(
  program
    .command('replay <file>')
    .description('replay recorded ticks or OHLC bars (CSV or JSONL) through the pipeline, then print the summary')
    .option('--token <token>', 'instrument token, when the file has no instrument column and its name does not say', token)
    .addOption(new Option('--pace <pace>', 'fast (as fast as the pipeline takes it) or realtime').choices(['fast', 'realtime']))
    .option('--speed <x>', 'with --pace realtime: this many times real time', positiveNumber('--speed')),
).action(async (file: string, o: Common & { pace?: 'fast' | 'realtime'; speed?: number }) => {
  const replayCfg: Record<string, unknown> = {};
  if (o.pace) replayCfg.pace = o.pace;
  if (o.speed) replayCfg.speed = o.speed;
  await start(o, { kind: 'replay', file, ...(o.token ? { token: o.token } : {}) }, { feed: { replay: replayCfg } }, true);
});

busOptions(
  program
    .command('feed <source>')
    .description('publish ticks to market.ticks and nothing else: source is sim, or a replay file (run pipelines with run --feed none)')
    .option('--token <token>', 'instrument token of a replay file without an instrument column', token)
    .option('--ticks-per-second <n>', 'simulated ticks per second', positiveNumber('--ticks-per-second')),
).action(async (source: string, o: Common & { ticksPerSecond?: number }) => {
  const config = loadConfig(process.env, overrides(o, o.ticksPerSecond ? { feed: { sim: { ticksPerSecond: o.ticksPerSecond } } } : {}));
  if (config.bus === 'memory') throw new ConfigError(["feed: on the in-process bus (BUS=memory) no other process can read the ticks: use --bus kafka, or 'run', which feeds its own pipeline"]);
  rootLogger.level = process.env.LOG_LEVEL ?? config.log.level;
  const feed = source === 'sim' ? ({ kind: 'sim' } as const) : ({ kind: 'replay', file: source, ...(o.token ? { token: o.token } : {}) } as const);
  const published = await runFeed({ config, feed, log: rootLogger, signal: stopOnSignals(), ...(o.duration !== undefined ? { durationS: o.duration } : {}) });
  process.stdout.write(`published ${published} ticks to market.ticks\n`);
});

try {
  await program.parseAsync(process.argv);
  process.exit(0);
} catch (e) {
  // Commander has printed its own message (or the help): usage errors exit 2, help exits 0.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const usage = e instanceof ConfigError || e instanceof InputError || e instanceof InvalidArgumentError;
  if (e instanceof ConfigError || e instanceof InputError) process.stderr.write(`${e.message}\n`);
  else if (e instanceof InvalidArgumentError) process.stderr.write(`error: ${e.message}\n`);
  else if (e instanceof AlphaPandaError) process.stderr.write(`alpha-panda stopped: ${e.message}\n`);
  else process.stderr.write(`alpha-panda stopped: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(usage ? 2 : 1);
}

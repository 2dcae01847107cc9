import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { startMockBroker } from '../tests/broker/mock-broker.ts';
import { benchActors } from './actors.bench.ts';
import { benchChain } from './chain.bench.ts';
import { benchCodec } from './codec.bench.ts';
import { benchBackpressure, benchKafka } from './kafka.bench.ts';
import { benchLatency } from './latency.bench.ts';
import { flags } from './measure.ts';
import { benchMemory } from './memory.bench.ts';
import { benchPersistence } from './persistence.bench.ts';
import { benchThroughput } from './pipeline.bench.ts';
import { report, type Results } from './report.ts';
import { benchOnTick } from './strategies.bench.ts';

/**
 * `npm run bench`: every figure is the median of at least five timed rounds after a warm-up, with its
 * min and max, GC share and bytes allocated, against a baseline measured in the same run (the machines
 * are shared and noisy, so only same-run ratios mean anything). Writes bench/results/latest.json and
 * docs/benchmarks.md. `--quick`: fewer ticks and records (a smoke run). `--profile <phase>`: a CPU
 * profile of that phase in bench/results/<phase>.cpuprofile (pipeline, chain, strategies, latency).
 */
const quick = process.argv.includes('--quick');
const broker = await startMockBroker(1);
const phase = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
  const t = Date.now();
  const r = await f();
  console.error(`bench: ${name} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return r;
};
try {
  // The phases whose memory is reported run before the throughput phases, whose worker threads and
  // pre-made ticks leave the process's resident size high (the heap is given back, resident pages not).
  const latency = await phase('tick-to-fill latency', () => benchLatency(broker.bootstrap, 10_000, quick ? 4 : 10));
  const backpressure = await phase('backpressure', () => benchBackpressure(broker.bootstrap, quick ? 20_000 : 60_000, 1_000));
  const kafka = await phase('kafka', () => benchKafka(broker.bootstrap, quick ? 20_000 : 100_000, 8));
  const codec = await phase('codec', () => benchCodec(quick ? 5_000 : 20_000));
  const actors = await phase('actors', async () => ({
    oneActor: await benchActors(1, quick ? 50_000 : 300_000),
    thousandActors: await benchActors(1_000, quick ? 50 : 300),
    thousandActorsFourPerTurn: await benchActors(1_000, quick ? 40 : 300, 4),
  }));
  const memory = await phase('memory', () => benchMemory());
  const throughput = await phase('pipeline throughput', () => benchThroughput(quick ? 50_000 : 200_000));
  const chain = await phase('signal chain', () => benchChain(quick ? 5_000 : 20_000));
  const strategies = await phase('strategies', () => benchOnTick(quick ? 50_000 : 100_000));
  const persistence = await phase('persistence', () => benchPersistence(quick ? 20_000 : 50_000));
  const cpus = os.cpus();
  const results: Results = {
    at: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus.length, cpu: cpus[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), flags: flags() },
    throughput,
    chain,
    strategies,
    memory,
    actors,
    codec,
    kafka,
    backpressure,
    tickToFill: latency,
    persistence,
  };
  mkdirSync('bench/results', { recursive: true });
  mkdirSync('docs', { recursive: true });
  writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
  const md = report(results);
  writeFileSync('docs/benchmarks.md', md);
  console.log(md);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await broker.stop();
  // A failed phase can leave a kafkajs client connected; the figures are written, so end here.
  process.exit();
}

import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startMockBroker, testBrokerOptions } from '../tests/broker/mock-broker.ts';
import { KafkaTransport } from '../src/bus/kafka/kafka-transport.ts';
import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import { rootLogger } from '../src/log.ts';
import type { ActorRef } from '../src/runtime/actor-ref.ts';
import { alternate, flags, ratio, type Summary } from './measure.ts';
import { realTickRecords, tokenOf } from './real-ticks.ts';
import { benchSystem } from './system.ts';

/**
 * The test broker keeps only a few MB per partition (8,000 to 10,000 real ticks on a 4-partition topic) and
 * drops the oldest: a large run is spread over several topics, each filled below that.
 */
const TICKS_PER_TOPIC = 6_000;

/**
 * Produces the records over `topics` and returns how many the broker still holds: a benchmark must
 * count what is there, not what it sent.
 */
async function fill(brokers: string, topics: readonly string[], count: number, instruments: number): Promise<number> {
  const t = new KafkaTransport(testBrokerOptions(brokers), rootLogger);
  const records = realTickRecords('', count, instruments).map((r, i) => ({ ...r, topic: topics[i % topics.length]! }));
  for (let i = 0; i < records.length; i += 5000) await t.send(records.slice(i, i + 5000));
  await t.close();
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    let held = 0;
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) held += Number(o.high) - Number(o.low);
    return held;
  } finally {
    await admin.disconnect();
  }
}

/** Waits for `done`, failing (not hanging) when `progress()` stands still for `stallMs`. */
async function untilDone(done: Promise<void>, progress: () => number, what: string, stallMs = 15_000): Promise<void> {
  let last = -1;
  let since = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now !== last) [last, since] = [now, Date.now()];
      else if (Date.now() - since > stallMs) reject(new Error(`${what}: no progress for ${stallMs} ms at ${now} records`));
    }, 250);
  });
  try {
    await Promise.race([done, stalled]);
  } finally {
    clearInterval(timer);
  }
}

/** Raw kafkajs: eachBatch from the beginning, parsing each value as JSON, counting. Milliseconds from the first record to the last. */
async function rawKafkajs(brokers: string, topics: readonly string[], count: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `raw-${randomUUID()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  let seen = 0;
  let start = 0n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (start === 0n) start = process.hrtime.bigint();
      for (const m of batch.messages) JSON.parse(m.value!.toString('utf8'));
      seen += batch.messages.length;
      if (seen >= count) done();
    },
  });
  await untilDone(finished, () => seen, 'raw kafkajs');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await consumer.disconnect();
  return ms;
}

/** The consumer actor (decode + validate, route by key, offsets tracked and committed) into target actors. Milliseconds from the first record to the last. */
async function consumerActor(brokers: string, topics: readonly string[], count: number, instruments: number): Promise<number> {
  const sys = benchSystem(new KafkaTransport(testBrokerOptions(brokers), rootLogger));
  let seen = 0;
  let start = 0n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const byKey = new Map<string, ActorRef<AnyEnvelope>>();
  const targets: ActorRef<AnyEnvelope>[] = Array.from({ length: instruments }, (_, i) =>
    sys.root.spawn<number, AnyEnvelope>({
      name: `inst-${i + 1}`,
      behaviour: {
        init: () => 0,
        receive: (n) => {
          if (start === 0n) start = process.hrtime.bigint();
          if (++seen >= count) done();
          return n + 1;
        },
      },
    }),
  );
  targets.forEach((t, i) => byKey.set(String(tokenOf(i)), t));
  await sys.consumer({
    name: 'ticks',
    groupId: `actor-${randomUUID()}`,
    topics,
    fromBeginning: true,
    route: (e) => byKey.get(e.key),
    mailboxBound: 5000,
    mailboxLowWater: 2500,
    outboxBound: 10_000,
    commitIntervalMs: 200,
  });
  await untilDone(finished, () => seen, 'consumer actor');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await sys.stop();
  return ms;
}

export interface KafkaFigures {
  /** Records the broker still held after the fill (it drops the oldest beyond a few MB per partition). */
  readonly messages: number;
  readonly instruments: number;
  /** Medians of the rounds (bench/measure.ts); the spreads, GC share and allocation are in `rounds`. */
  readonly rawKafkajsPerSec: number;
  readonly consumerActorPerSec: number;
  /** consumerActorPerSec / rawKafkajsPerSec, medians of the same run. */
  readonly ratio: number;
  /** What each record is: a real tick with depth (bench/real-ticks.ts), and its size. */
  readonly records: { readonly kind: string; readonly bytes: number };
  readonly rounds: { readonly rawKafkajs: Summary; readonly consumerActor: Summary };
  readonly flags: string[];
}

/**
 * The same retained records (over ceil(sent / 6,000) topics) read from the beginning by a new group,
 * alternately by raw kafkajs and by the consumer actor into `instruments` target actors: one warm-up and
 * `rounds` (>= 5) timed rounds each, each timed from its first record to its last.
 */
export async function benchKafka(brokers: string, sent: number, instruments: number, rounds = 5): Promise<KafkaFigures> {
  const run = randomUUID().slice(0, 8);
  const topics = Array.from({ length: Math.ceil(sent / TICKS_PER_TOPIC) }, (_, i) => `bench-${run}-${i}`);
  const count = await fill(brokers, topics, sent, instruments);
  const r = await alternate(
    {
      rawKafkajs: { units: count, run: () => rawKafkajs(brokers, topics, count) },
      consumerActor: { units: count, run: () => consumerActor(brokers, topics, count, instruments) },
    },
    { rounds, warmup: 1 },
  );
  return {
    messages: count,
    instruments,
    rawKafkajsPerSec: r.rawKafkajs.perSec.median,
    consumerActorPerSec: r.consumerActor.perSec.median,
    ratio: ratio(r.consumerActor, r.rawKafkajs),
    records: { kind: 'market_tick from Kite\'s sample full packet (depth 5 a side), token, price, volume and time varied', bytes: realTickRecords('', 1, 1)[0]!.value.length },
    rounds: r,
    flags: flags(),
  };
}

export interface BackpressureFigures {
  readonly messages: number;
  readonly mailboxBound: number;
  readonly maxPendingSeen: number;
  readonly pauses: number;
  readonly heapMbFirstQuarter: number;
  readonly heapMbLastQuarter: number;
  readonly rssMbMax: number;
  /** The heap's growth from the first quarter to the last may not pass this (asserted). */
  readonly heapGrowthBoundMb: number;
}

/**
 * A slow actor (about 20 µs per message) behind the consumer actor, fed from every partition (16 keys, one
 * target): the bound must hold with several partitions pausing on one mailbox, and memory stay flat.
 */
export async function benchBackpressure(brokers: string, sent: number, bound: number): Promise<BackpressureFigures> {
  const topic = `bench-bp-${randomUUID().slice(0, 8)}`;
  const count = await fill(brokers, [topic], sent, 16);
  const sys = benchSystem(new KafkaTransport(testBrokerOptions(brokers), rootLogger));
  let seen = 0;
  let maxPending = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const target: ActorRef<AnyEnvelope> = sys.root.spawn<null, AnyEnvelope>({
    name: 'slow',
    behaviour: {
      init: () => null,
      receive: (s) => {
        maxPending = Math.max(maxPending, target.pending);
        const until = process.hrtime.bigint() + 20_000n;
        while (process.hrtime.bigint() < until);
        if (++seen >= count) done();
        return s;
      },
    },
  });
  const samples: Array<{ heap: number; rss: number }> = [];
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    samples.push({ heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20 });
  }, 100);
  const consumer = await sys.consumer({ name: 'ticks', groupId: `bp-${randomUUID()}`, topics: [topic], fromBeginning: true, route: () => target, mailboxBound: bound, mailboxLowWater: bound >> 1, outboxBound: 10_000, commitIntervalMs: 200 });
  await untilDone(finished, () => seen, 'backpressure');
  clearInterval(sampler);
  await sys.stop();
  const q = Math.max(1, Math.floor(samples.length / 4));
  const avg = (xs: typeof samples) => +(xs.reduce((a, s) => a + s.heap, 0) / xs.length).toFixed(1);
  const figures = {
    messages: count,
    mailboxBound: bound,
    maxPendingSeen: maxPending,
    pauses: consumer.stats.pauses,
    heapMbFirstQuarter: avg(samples.slice(0, q)),
    heapMbLastQuarter: avg(samples.slice(-q)),
    rssMbMax: +Math.max(...samples.map((s) => s.rss)).toFixed(1),
    heapGrowthBoundMb: HEAP_GROWTH_BOUND_MB,
  };
  // What backpressure promises, checked: the mailbox never passes its bound, and a consumer held back
  // for the whole run does not pile records up in memory (the heap's last quarter against its first).
  if (figures.maxPendingSeen > bound) throw new Error(`backpressure: a mailbox held ${figures.maxPendingSeen} messages, past its bound of ${bound}`);
  const growth = figures.heapMbLastQuarter - figures.heapMbFirstQuarter;
  if (growth > HEAP_GROWTH_BOUND_MB) {
    throw new Error(`backpressure: the heap grew ${growth.toFixed(1)} MB from the run's first quarter to its last, past the bound of ${HEAP_GROWTH_BOUND_MB} MB`);
  }
  return figures;
}

/**
 * How far the heap may grow over a backpressure run: what the bounded mailbox (1,000 ticks of about 1 KB)
 * and the consumer's fetched batches can hold at once, with room for V8's own variation; a consumer that
 * did not pause would hold the whole topic (tens of MB).
 */
const HEAP_GROWTH_BOUND_MB = 16;

// `node bench/kafka.bench.ts [sent]`: the consumer comparison alone, on a test broker of its own.
if (import.meta.main) {
  const broker = await startMockBroker(1);
  try {
    console.log(JSON.stringify(await benchKafka(broker.bootstrap, Number(process.argv[2] ?? 100_000), 8), null, 2));
  } finally {
    await broker.stop();
    process.exit();
  }
}

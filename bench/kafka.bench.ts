import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { testBrokerOptions } from '../tests/broker/mock-broker.ts';
import { KafkaTransport } from '../src/bus/kafka/kafka-transport.ts';
import { encode } from '../src/contracts/codec.ts';
import { createEvent, type AnyEnvelope } from '../src/contracts/envelope.ts';
import { rootLogger } from '../src/log.ts';
import { benchSystem } from './system.ts';
import type { ActorRef } from '../src/runtime/actor-ref.ts';


function tickRecords(topic: string, count: number, instruments: number) {
  const now = Date.UTC(2025, 7, 11, 4, 0);
  return Array.from({ length: count }, (_, i) => {
    const token = 1 + (i % instruments);
    const ts = new Date(now + i).toISOString();
    const e = createEvent({ type: 'market_tick', broker: 'market', source: 'bench', key: String(token), now, data: { instrument_token: token, last_price: 100 + (i % 100) * 0.05, volume: i, exchange_timestamp: ts, timestamp: ts } });
    return { topic, key: e.key, value: encode(e), headers: {} };
  });
}

/**
 * Produces the records and returns how many the broker still holds: the test broker keeps only a few MB
 * per partition and drops the oldest, so a benchmark must count what is there, not what it sent.
 */
async function fill(brokers: string, topic: string, count: number, instruments: number): Promise<number> {
  const t = new KafkaTransport(testBrokerOptions(brokers), rootLogger);
  const records = tickRecords(topic, count, instruments);
  for (let i = 0; i < records.length; i += 5000) await t.send(records.slice(i, i + 5000));
  await t.close();
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
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

/** Raw kafkajs: eachBatch from the beginning, parsing each value as JSON, counting. */
async function rawKafkajs(brokers: string, topic: string, count: number): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `raw-${randomUUID()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
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
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await consumer.disconnect();
  return count / secs;
}

/** The consumer actor (decode + validate, route by key, offsets tracked and committed) into target actors. */
async function consumerActor(brokers: string, topic: string, count: number, instruments: number): Promise<number> {
  const sys = benchSystem(new KafkaTransport(testBrokerOptions(brokers), rootLogger));
  let seen = 0;
  let start = 0n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
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
  await sys.consumer({
    name: 'ticks',
    groupId: `actor-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    route: (e) => targets[Number(e.key) - 1],
    mailboxBound: 5000,
    mailboxLowWater: 2500,
    outboxBound: 10_000,
    commitIntervalMs: 200,
  });
  await untilDone(finished, () => seen, 'consumer actor');
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await sys.stop();
  return count / secs;
}

export interface KafkaFigures {
  /** Records the broker still held after the fill (it drops the oldest beyond a few MB per partition). */
  readonly messages: number;
  readonly instruments: number;
  readonly rawKafkajsPerSec: number;
  readonly consumerActorPerSec: number;
  readonly ratio: number;
}

export async function benchKafka(brokers: string, sent: number, instruments: number): Promise<KafkaFigures> {
  const topic = `bench-${randomUUID().slice(0, 8)}`;
  const retained = await fill(brokers, topic, sent, instruments);
  const count = retained;
  let raw = 0;
  let actor = 0;
  for (let round = 0; round < 2; round++) {
    raw = Math.max(raw, await rawKafkajs(brokers, topic, count));
    actor = Math.max(actor, await consumerActor(brokers, topic, count, instruments));
  }
  return { messages: count, instruments, rawKafkajsPerSec: Math.round(raw), consumerActorPerSec: Math.round(actor), ratio: +(actor / raw).toFixed(3) };
}

export interface BackpressureFigures {
  readonly messages: number;
  readonly mailboxBound: number;
  readonly maxPendingSeen: number;
  readonly pauses: number;
  readonly heapMbFirstQuarter: number;
  readonly heapMbLastQuarter: number;
  readonly rssMbMax: number;
}

/**
 * A slow actor (about 20 µs per message) behind the consumer actor, fed from every partition (16 keys, one
 * target): the bound must hold with several partitions pausing on one mailbox, and memory stay flat.
 */
export async function benchBackpressure(brokers: string, sent: number, bound: number): Promise<BackpressureFigures> {
  const topic = `bench-bp-${randomUUID().slice(0, 8)}`;
  const count = await fill(brokers, topic, sent, 16);
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
  return {
    messages: count,
    mailboxBound: bound,
    maxPendingSeen: maxPending,
    pauses: consumer.stats.pauses,
    heapMbFirstQuarter: avg(samples.slice(0, q)),
    heapMbLastQuarter: avg(samples.slice(-q)),
    rssMbMax: +Math.max(...samples.map((s) => s.rss)).toFixed(1),
  };
}

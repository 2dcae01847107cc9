import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { KafkaTransport } from '../../src/bus/kafka/kafka-transport.ts';
import { startMockBroker, testBrokerOptions } from '../broker/mock-broker.ts';
import { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import type { InRecord, OutRecord, Subscription, Transport } from '../../src/bus/transport.ts';
import { systemClock, type Clock } from '../../src/clock.ts';
import { encode } from '../../src/contracts/codec.ts';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import { rootLogger } from '../../src/log.ts';
import { ActorSystem } from '../../src/app/actor-system.ts';
import { SupervisionPolicy } from '../../supervisors/policy.ts';

export type TransportKind = 'memory' | 'kafka';

/** The in-process bus a test uses; `durable`: as if its log outlived the process (as Kafka's does). */
export const memoryTransport = (durable = false) => new MemoryTransport({ partitions: 4, maxBatch: 100, retention: 1_000_000, durable });

/**
 * A transport for a test. Kafka goes to the suite's shared test broker unless `brokers` names another:
 * a test that runs a whole pipeline uses a broker of its own (privateBroker), because market.ticks is
 * one topic and another test's ticks would reach its strategies.
 */
export function makeTransport(kind: TransportKind, maxWaitTimeMs = 20, brokers?: string): Transport {
  if (kind === 'memory') return memoryTransport();
  return new KafkaTransport(testBrokerOptions(brokers ?? inject('kafkaBrokers'), maxWaitTimeMs), rootLogger);
}

/** A Kafka-protocol test broker for one test alone (librdkafka's mock cluster, ~100 ms to start). */
export const privateBroker = () => startMockBroker(1);

export function makeSystem(transport: Transport, options: { clock?: Clock; policy?: Partial<SupervisionPolicy>; onFatal?: (e: Error) => void; random?: () => number } = {}): ActorSystem {
  return new ActorSystem({
    name: `t${randomUUID().slice(0, 8)}`,
    transport,
    clock: options.clock ?? systemClock,
    log: rootLogger,
    policy: SupervisionPolicy.parse({ backoff: { minMs: 10, maxMs: 100 }, ...options.policy }),
    producer: { maxBatch: 500, retry: { minMs: 50, maxMs: 500, randomFactor: 0, resetAfterMs: 10_000 } },
    onFatal: options.onFatal ?? ((e) => rootLogger.error(e)),
    random: options.random ?? (() => 0),
  });
}

export const uniqueTopic = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let seq = 0;
/** A valid market_tick envelope (key = instrument token, as on market.ticks). */
export function tick(token: number, price = 100, now = Date.UTC(2025, 7, 11, 4, 0)): Envelope<'market_tick'> {
  const ts = new Date(now + seq++).toISOString();
  return createEvent({
    type: 'market_tick',
    broker: 'market',
    source: 'test',
    key: String(token),
    now,
    data: { instrument_token: token, last_price: price, volume: 1000, exchange_timestamp: ts, timestamp: ts },
  });
}

export function recordOf(topic: string, event: Envelope, headers: Record<string, string> = {}): OutRecord {
  return { topic, key: event.key, value: encode(event), headers };
}

/** Records everything on `topics` from the beginning, in a consumer group of its own, until stopped. */
export async function recordTopics(transport: Transport, topics: string[]): Promise<{ records: InRecord[]; sub: Subscription }> {
  const records: InRecord[] = [];
  const sub = await transport.subscribe({
    groupId: `recorder-${randomUUID()}`,
    topics,
    fromBeginning: true,
    onBatch: async (b) => {
      records.push(...b.records);
      return b.records.length;
    },
    onAssignment: () => undefined,
    onCrash: (e) => {
      throw e;
    },
  });
  return { records, sub };
}

/** Reads `count` records of `topic` from its beginning with a fresh consumer group. */
export async function collect(transport: Transport, topic: string, count: number, timeoutMs = 20_000): Promise<InRecord[]> {
  const { records, sub } = await recordTopics(transport, [topic]);
  try {
    await waitFor(() => records.length >= count, `${count} records on ${topic} (have ${records.length})`, timeoutMs);
  } finally {
    await sub.stop();
  }
  return records;
}

/** Every method of `t`, delegated: a wrapper spreads this and replaces what it changes. */
export function delegate(t: Transport): Transport {
  return {
    kind: t.kind,
    durable: t.durable,
    health: t.health,
    send: (r) => t.send(r),
    subscribe: (o) => t.subscribe(o),
    ensureTopics: (x) => t.ensureTopics(x),
    partitionCount: (x) => t.partitionCount(x),
    endOffsets: (x) => t.endOffsets(x),
    committed: (g, x) => t.committed(g, x),
    scan: (x, r, f, s) => t.scan(x, r, f, s),
    ...(t.caughtUp ? { caughtUp: () => t.caughtUp!() } : {}),
    close: () => t.close(),
  };
}

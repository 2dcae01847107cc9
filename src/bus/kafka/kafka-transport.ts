import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import { TransportError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { BrokerHealth } from '../health.ts';
import { partitionOf } from '../partition.ts';
import type { Headers, InRecord, OutRecord, ScanRange, SubscribeOptions, Subscription, Transport } from '../transport.ts';

export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Idempotent producer: Redpanda and Kafka support it; librdkafka's mock broker does not. */
  readonly idempotent: boolean;
  /** Create topics with the admin API at start-up (Redpanda); otherwise rely on auto-creation. */
  readonly createTopics: boolean;
  readonly topicPartitions: number;
  readonly replicationFactor: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly connectionTimeoutMs: number;
  readonly retries: number;
}

function toHeaders(h: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

type KafkaMessage = { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders; timestamp: string };

function toRecords(batch: { topic: string; partition: number; messages: KafkaMessage[] }): InRecord[] {
  return batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: m.offset, key: m.key ? m.key.toString('utf8') : null, value: m.value, headers: toHeaders(m.headers), timestamp: m.timestamp }));
}

/** kafkajs errors carry `retriable`; wrap them so the rest of the system reads one flag. */
function wrap(e: unknown, what: string): TransportError {
  const retriable = Boolean((e as { retriable?: boolean }).retriable ?? true);
  return new TransportError(`${what}: ${(e as Error).message ?? String(e)}`, { retriable, cause: e });
}

/**
 * The Kafka bus over kafkajs (pure JS; it installs everywhere, unlike librdkafka bindings). Sends wait
 * for every in-sync replica (acks=all). Consumers run eachBatch with auto-commit and auto-resolve off:
 * the consumer actor decides what is committed, and a batch cut short by a pause is fetched again from
 * the first record it did not take.
 */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly durable = true;
  readonly health = new BrokerHealth();
  private readonly kafka: Kafka;
  private producerReady: Promise<Producer> | undefined;
  /** Every kafkajs client made, connected or still connecting: close() ends them all. */
  private readonly clients = new Set<Consumer | Producer | Admin>();
  private adminReady: Promise<Admin> | undefined;
  private closed = false;

  private readonly options: KafkaTransportOptions;
  private readonly log: Logger;

  constructor(
    options: KafkaTransportOptions,
    log: Logger,
  ) {
    this.options = options;
    this.log = log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: options.connectionTimeoutMs,
      retry: { retries: options.retries },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        const { message, ...rest } = entry.log;
        if (entry.level === logLevel.ERROR) {
          // An outage makes kafkajs log every retry: the first of an outage is logged, then one every 30 s.
          const worth = this.health.failed(`${message}${rest.error ? `: ${String(rest.error)}` : ''}`);
          this.log[worth ? 'warn' : 'debug']({ kafkajs: entry.namespace, ...rest, downForMs: this.health.downFor() }, message);
          return;
        }
        this.log[entry.level === logLevel.WARN ? 'warn' : 'debug']({ kafkajs: entry.namespace, ...rest }, message);
      },
    });
  }

  private connectProducer(): Promise<Producer> {
    if (this.closed) return Promise.reject(new TransportError('the Kafka transport is closed', { retriable: false }));
    if (!this.producerReady) {
      const producer = this.kafka.producer({
        idempotent: this.options.idempotent,
        ...(this.options.idempotent ? { maxInFlightRequests: 1 } : {}),
        allowAutoTopicCreation: true,
        // An explicit choice (no partitioner warning): murmur2 like the Java client, written once in
        // partition.ts so the in-process bus and ownership of a key agree with Kafka.
        createPartitioner: () => ({ partitionMetadata, message }) => partitionOf(String(message.key ?? ''), partitionMetadata.length),
      });
      this.clients.add(producer);
      this.producerReady = producer.connect().then(
        () => producer,
        (e: unknown) => {
          this.clients.delete(producer);
          this.producerReady = undefined;
          const error = wrap(e, 'producer could not connect');
          this.health.failed(error.message);
          throw error;
        },
      );
    }
    return this.producerReady;
  }

  async send(records: readonly OutRecord[]): Promise<void> {
    const producer = await this.connectProducer();
    const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Headers }>>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push({ key: r.key, value: r.value, headers: r.headers });
    }
    try {
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      this.health.ok();
    } catch (e) {
      const error = wrap(e, 'send failed');
      if (error.retriable) this.health.failed(error.message);
      throw error;
    }
  }

  async subscribe(o: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new TransportError('the Kafka transport is closed', { retriable: false });
    const starts = await this.uncommitted(o);
    let started: Array<{ topic: string; partition: number; offset: string }> = [];
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: true,
    });
    this.clients.add(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, parts]) => parts.map((partition) => ({ topic, partition })));
      if (starts.size > 0) started = this.startUncommitted(consumer, assigned, starts);
      o.onAssignment(assigned);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.health.failed(`consumer ${o.groupId}: ${e.payload.error.message}`);
      // kafkajs restarts itself after retriable errors; only a crash it will not recover from is ours.
      if (!e.payload.restart) o.onCrash(wrap(e.payload.error, `consumer ${o.groupId} crashed`));
    });
    // A fetch or heartbeat answered: the broker is there.
    consumer.on(consumer.events.FETCH, () => this.health.ok());
    consumer.on(consumer.events.HEARTBEAT, () => this.health.ok());
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const records = toRecords(batch);
          const taken = await o.onBatch({ topic: batch.topic, partition: batch.partition, records });
          // Resolving moves the fetch position only (auto-commit is off): the rest is fetched again after resume.
          if (taken > 0) resolveOffset(records[taken - 1]!.offset);
          await heartbeat();
        },
      });
      // kafkajs drops a commit made before run() has returned (its runner is not yet running).
      if (started.length > 0) {
        await consumer.commitOffsets(started).catch((e: unknown) => {
          // Not fatal: the first regular commit makes the position durable instead.
          this.log.warn({ err: wrap(e, 'commit failed'), groupId: o.groupId, offsets: started }, 'could not commit where the group starts; a crash before its first commit restarts at the end of the log');
        });
      }
    } catch (e) {
      this.clients.delete(consumer);
      await consumer.disconnect().catch(() => undefined);
      const error = wrap(e, `consumer ${o.groupId} could not start`);
      this.health.failed(error.message);
      throw error;
    }
    return {
      pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
      resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
      commit: async (offsets) => {
        try {
          await consumer.commitOffsets(offsets.map((x) => ({ topic: x.topic, partition: x.partition, offset: x.offset })));
        } catch (e) {
          throw wrap(e, `commit for ${o.groupId} failed`);
        }
      },
      stop: async () => {
        this.clients.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** Of `startAt`, the partitions the group has no committed offset for (keyed topic, partition). */
  private async uncommitted(o: SubscribeOptions): Promise<Map<string, { topic: string; partition: number; offset: bigint }>> {
    const out = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const [topic, starts] of o.startAt ?? []) {
      if (starts.size === 0) continue;
      const committed = await this.committed(o.groupId, topic);
      for (const [partition, offset] of starts) if (!committed.has(partition)) out.set(`${topic}\u0000${partition}`, { topic, partition, offset });
    }
    return out;
  }

  /**
   * On first joining, each assigned partition without a commit is moved to its start (the seek is taken
   * up by the first fetch, which follows the join); returned, to be committed. Only the first join: a
   * partition assigned later may have been committed by another member meanwhile.
   */
  private startUncommitted(consumer: Consumer, assigned: readonly { topic: string; partition: number }[], starts: Map<string, { topic: string; partition: number; offset: bigint }>): Array<{ topic: string; partition: number; offset: string }> {
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const { topic, partition } of assigned) {
      const s = starts.get(`${topic}\u0000${partition}`);
      if (!s) continue;
      consumer.seek({ topic, partition, offset: String(s.offset) });
      offsets.push({ topic, partition, offset: String(s.offset) });
    }
    starts.clear();
    return offsets;
  }

  /** One admin client for the transport's lifetime, connected on first use. */
  private admin(): Promise<Admin> {
    if (this.closed) return Promise.reject(new TransportError('the Kafka transport is closed', { retriable: false }));
    if (!this.adminReady) {
      const admin = this.kafka.admin();
      this.clients.add(admin);
      this.adminReady = admin.connect().then(
        () => admin,
        (e: unknown) => {
          this.clients.delete(admin);
          this.adminReady = undefined;
          // kafkajs gives up after its retries with a non-retriable error; a connection may still come.
          const error = new TransportError(`admin client could not connect: ${(e as Error).message}`, { retriable: true, cause: e });
          this.health.failed(error.message);
          throw error;
        },
      );
    }
    return this.adminReady;
  }

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.admin();
    for (let attempt = 1; ; attempt++) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const n = meta.topics[0]?.partitions.length ?? 0;
        if (n > 0) return n;
      } catch (e) {
        if (attempt >= 10) throw wrap(e, `no metadata for ${topic}`);
      }
      // A topic being auto-created has no partitions for a moment.
      if (attempt >= 10) throw new TransportError(`topic ${topic} has no partitions`, { retriable: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const admin = await this.admin();
    try {
      return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    } catch (e) {
      throw wrap(e, `cannot read the end offsets of ${topic}`);
    }
  }

  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const admin = await this.admin();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, bigint>();
      for (const p of t?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, BigInt(p.offset));
      return out;
    } catch (e) {
      throw wrap(e, `cannot read the offsets of ${groupId}`);
    }
  }

  /**
   * kafkajs has no group-less consumer: the scan joins a group of its own (a fresh name, never
   * committed), seeks each partition to the first offset at `sinceMs`, and leaves once every partition
   * has reached its end; the group is deleted after.
   */
  async scan(topic: string, range: ScanRange, onRecords: (records: readonly InRecord[]) => void, signal?: AbortSignal): Promise<void> {
    const admin = await this.admin();
    const starts = new Map<number, bigint>();
    const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
    const byTime = await this.offsetsAt(admin, topic, range.sinceMs, bounds);
    for (const [partition, until] of range.until) {
      const b = bounds.get(partition);
      const from = byTime.get(partition) ?? b?.low;
      if (b && from !== undefined && from < until) starts.set(partition, from < b.low ? b.low : from);
    }
    if (starts.size === 0) return;
    const groupId = `${this.options.clientId}.scan.${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, sessionTimeout: this.options.sessionTimeoutMs, heartbeatInterval: this.options.heartbeatIntervalMs, maxWaitTimeInMs: this.options.maxWaitTimeMs });
    this.clients.add(consumer);
    const left = new Set(starts.keys());
    let finish!: (e?: Error) => void;
    const done = new Promise<void>((resolve, reject) => (finish = (e) => (e ? reject(e) : resolve())));
    const abort = () => finish(new TransportError(`scan of ${topic} aborted`, { retriable: false }));
    signal?.addEventListener('abort', abort, { once: true });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) finish(wrap(e.payload.error, `scan of ${topic} crashed`));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const until = range.until.get(batch.partition);
          if (until === undefined || !left.has(batch.partition)) return;
          const records = toRecords(batch).filter((r) => BigInt(r.offset) < until && Number(r.timestamp) >= range.sinceMs);
          if (records.length > 0) onRecords(records);
          const last = batch.messages.at(-1);
          if (last && BigInt(last.offset) + 1n >= until) {
            left.delete(batch.partition);
            if (left.size === 0) finish();
          }
        },
      });
      for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: String(offset) });
      await done;
    } finally {
      signal?.removeEventListener('abort', abort);
      this.clients.delete(consumer);
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  /**
   * The first offset at or after `ms` per partition. A broker that cannot look offsets up by time (the
   * test broker answers every time with the end of the log) is recognised by its answer for time 0,
   * which must be the earliest offset: then nothing is returned, and a scan reads from the earliest
   * offset, skipping records older than `ms` by their timestamps.
   */
  private async offsetsAt(admin: Admin, topic: string, ms: number, bounds: Map<number, { low: bigint; high: bigint }>): Promise<Map<number, bigint>> {
    const probe = await admin.fetchTopicOffsetsByTimestamp(topic, 0);
    const honest = probe.every((p) => {
      const b = bounds.get(p.partition);
      return !b || b.low === b.high || BigInt(p.offset) === b.low;
    });
    if (!honest) return new Map();
    const out = new Map<number, bigint>();
    for (const p of await admin.fetchTopicOffsetsByTimestamp(topic, ms)) out.set(p.partition, Number(p.offset) < 0 ? (bounds.get(p.partition)?.high ?? 0n) : BigInt(p.offset));
    return out;
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    if (!this.options.createTopics) return;
    const admin = await this.admin();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: this.options.topicPartitions, replicationFactor: this.options.replicationFactor })),
      });
      this.log.info({ topics: missing }, 'created topics');
    } catch (e) {
      throw wrap(e, 'topic creation failed');
    }
  }

  /** Disconnects every client, those still connecting included (a dead broker must not hold up a stop). */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    this.producerReady = undefined;
    this.adminReady = undefined;
  }
}

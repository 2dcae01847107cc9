import { BrokerHealth } from '../health.ts';
import { partitionOf } from '../partition.ts';
import type { InRecord, OutRecord, ScanRange, SubscribeOptions, Subscription, TopicPartition, Transport } from '../transport.ts';
import { MemoryGroup, type MemoryMember } from './memory-group.ts';
import { MemoryPartition } from './memory-partition.ts';

export interface MemoryTransportOptions {
  /** Partitions of an auto-created topic. */
  readonly partitions: number;
  /** Most records handed to one onBatch call. */
  readonly maxBatch: number;
  /** Most records a partition keeps; older ones are dropped as Kafka's retention drops them. */
  readonly retention: number;
  /**
   * The log outlives the pipelines on it (tests that restart a pipeline on one transport). Otherwise
   * (embedded mode) what every group has committed is dropped, and a restart finds the log empty.
   */
  readonly durable?: boolean;
}

export const MEMORY_DEFAULTS: MemoryTransportOptions = { partitions: 4, maxBatch: 500, retention: 200_000 };


/**
 * The in-process bus: the same semantics as Kafka for one process (partitioned append-only logs, keys
 * to partitions, consumer groups that split partitions among members and resume from committed
 * offsets, pause/resume), without a broker. Embedded mode and fast tests run on it.
 */
export class MemoryTransport implements Transport {
  readonly kind = 'memory' as const;
  readonly durable: boolean;
  /** In process: never unreachable. */
  readonly health = new BrokerHealth();
  private readonly topics = new Map<string, MemoryPartition[]>();
  private readonly groups = new Map<string, MemoryGroup>();
  private closed = false;

  private readonly options: MemoryTransportOptions;

  constructor(options: MemoryTransportOptions = MEMORY_DEFAULTS) {
    this.options = options;
    this.durable = options.durable ?? false;
  }

  createTopic(name: string, partitions: number): void {
    if (!this.topics.has(name)) this.topics.set(name, Array.from({ length: partitions }, (_, i) => new MemoryPartition(name, i, this.options.retention)));
  }

  partitions(topic: string): MemoryPartition[] {
    this.createTopic(topic, this.options.partitions);
    return this.topics.get(topic)!;
  }

  /** Every record still held for a topic, in partition then offset order (for tests and tools). */
  read(topic: string): InRecord[] {
    return this.partitions(topic).flatMap((p) => p.records(p.start, Number.MAX_SAFE_INTEGER));
  }

  async send(records: readonly OutRecord[]): Promise<void> {
    if (this.closed) throw new Error('memory transport is closed');
    const now = String(Date.now());
    const touched = new Set<string>();
    for (const r of records) {
      const parts = this.partitions(r.topic);
      parts[partitionOf(r.key, parts.length)]!.append(r, now);
      touched.add(r.topic);
    }
    for (const g of this.groups.values()) for (const t of touched) g.wake(t);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const t of options.topics) this.partitions(t);
    let group = this.groups.get(options.groupId);
    if (!group) this.groups.set(options.groupId, (group = new MemoryGroup(options.groupId, this.options.maxBatch, (t) => this.partitions(t))));
    const member = group.join(options);
    return this.subscriptionOf(group, member);
  }

  private subscriptionOf(group: MemoryGroup, member: MemoryMember): Subscription {
    return {
      pause: (topic, partition) => member.pause(topic, partition),
      resume: (topic, partition) => member.resume(topic, partition),
      commit: async (offsets: ReadonlyArray<TopicPartition & { offset: string }>) => {
        if (!member.active) throw new Error(`member of ${group.id} has left the group; commit refused`);
        for (const o of offsets) {
          group.commit(o.topic, o.partition, Number(o.offset));
          if (!this.durable) this.truncate(o.topic, o.partition);
        }
      },
      stop: async () => group.leave(member),
    };
  }

  /** Drops what every group that reads this topic has committed past: memory stays bounded. */
  private truncate(topic: string, partition: number): void {
    let min = Infinity;
    for (const g of this.groups.values()) {
      if (!g.topics.has(topic)) continue;
      min = Math.min(min, g.committedOffset(topic, partition) ?? -1);
    }
    if (min > 0 && min !== Infinity) this.partitions(topic)[partition]!.truncateTo(min);
  }

  /** Every group has handed out everything on its topics (in-process only: a simulation's clock step). */
  caughtUp(): boolean {
    for (const g of this.groups.values()) if (!g.caughtUp) return false;
    return true;
  }

  async partitionCount(topic: string): Promise<number> {
    return this.partitions(topic).length;
  }

  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    return new Map(this.partitions(topic).map((p, i) => [i, BigInt(p.end)]));
  }

  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    const group = this.groups.get(groupId);
    if (!group) return out;
    this.partitions(topic).forEach((_, i) => {
      const o = group.committedOffset(topic, i);
      if (o !== undefined) out.set(i, BigInt(o));
    });
    return out;
  }

  async scan(topic: string, range: ScanRange, onRecords: (records: readonly InRecord[]) => void, signal?: AbortSignal): Promise<void> {
    const parts = this.partitions(topic);
    for (const [partition, until] of range.until) {
      const p = parts[partition];
      if (!p) continue;
      for (let at = p.start; at < Number(until) && !signal?.aborted; ) {
        const batch = p.records(at, Math.min(this.options.maxBatch, Number(until) - at));
        if (batch.length === 0) break;
        at = Number(batch.at(-1)!.offset) + 1;
        const wanted = batch.filter((r) => Number(r.timestamp) >= range.sinceMs);
        if (wanted.length > 0) onRecords(wanted);
        // Other actors run between batches, as they would while a broker fetch is awaited.
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const t of topics) this.partitions(t);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) g.leaveAll();
  }
}

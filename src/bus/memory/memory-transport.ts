import { BrokerHealth } from '../health.ts';
import { partitionOf } from '../partition.ts';
import type { InRecord, OutRecord, SubscribeOptions, Subscription, TopicPartition, Transport } from '../transport.ts';
import { MemoryGroup, type MemoryMember } from './memory-group.ts';
import { MemoryPartition } from './memory-partition.ts';

export interface MemoryTransportOptions {
  /** Partitions of an auto-created topic. */
  readonly partitions: number;
  /** Most records handed to one onBatch call. */
  readonly maxBatch: number;
  /** Most records a partition keeps; older ones are dropped as Kafka's retention drops them. */
  readonly retention: number;
}

export const MEMORY_DEFAULTS: MemoryTransportOptions = { partitions: 4, maxBatch: 500, retention: 200_000 };


/**
 * The in-process bus: the same semantics as Kafka for one process (partitioned append-only logs, keys
 * to partitions, consumer groups that split partitions among members and resume from committed
 * offsets, pause/resume), without a broker. Embedded mode and fast tests run on it.
 */
export class MemoryTransport implements Transport {
  readonly kind = 'memory' as const;
  /** In process: never unreachable. */
  readonly health = new BrokerHealth();
  private readonly topics = new Map<string, MemoryPartition[]>();
  private readonly groups = new Map<string, MemoryGroup>();
  private closed = false;

  private readonly options: MemoryTransportOptions;

  constructor(options: MemoryTransportOptions = MEMORY_DEFAULTS) {
    this.options = options;
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
          this.truncate(o.topic, o.partition);
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

  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (const t of topics) this.partitions(t);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const g of this.groups.values()) g.leaveAll();
  }
}

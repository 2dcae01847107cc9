import type { BrokerHealth } from './health.ts';

/**
 * What a message bus must do for the actors above it. Two implementations: Kafka (kafkajs, for Redpanda)
 * and in-process memory (embedded mode and fast tests). Both pass tests/contract/transport.contract.ts.
 */
export type Headers = Record<string, string>;

export interface OutRecord {
  readonly topic: string;
  readonly key: string;
  /** The bytes on the wire. May be computed on first read: the in-process bus never reads it. */
  readonly value: Buffer;
  readonly headers: Headers;
  /**
   * The event itself, when it was made in this process. The in-process bus hands it to consumers by
   * reference (no encode, no decode); Kafka sends `value` and consumers decode it.
   */
  readonly event?: unknown;
}

export interface InRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit; kept as decimal strings as on the wire. */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
  /** Broker timestamp, ms since the epoch, as a decimal string. */
  readonly timestamp: string;
  /** The event by reference, when the record never left this process (in-process bus only). */
  readonly event?: unknown;
}

export interface InBatch {
  readonly topic: string;
  readonly partition: number;
  /** Records of one partition in offset order. */
  readonly records: readonly InRecord[];
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts: the log's beginning, or its end. */
  readonly fromBeginning: boolean;
  /**
   * Per topic and partition, where a partition with no committed offset starts instead (an end of the
   * log read before joining, so nothing published while joining is skipped). The start is committed as
   * soon as the partition is assigned: a member that dies before its first commit is restarted there,
   * not at a later end of the log.
   */
  readonly startAt?: ReadonlyMap<string, ReadonlyMap<number, bigint>>;
  /**
   * Handles one batch; returns how many records (a prefix) it took. When fewer than all, it must have
   * paused the partition: the rest is delivered again after resume.
   */
  onBatch(batch: InBatch): Promise<number>;
  /** The partitions this member owns after a (re)balance; in-flight work for others is void. */
  onAssignment(partitions: readonly TopicPartition[]): void;
  /** The subscription failed and will not recover by itself. */
  onCrash(error: Error): void;
}

export interface Subscription {
  pause(topic: string, partition: number): void;
  resume(topic: string, partition: number): void;
  /** Commits the next offset to read for each partition. */
  commit(offsets: ReadonlyArray<TopicPartition & { offset: string }>): Promise<void>;
  /** Stops fetching and leaves the group. Records handed out and not committed are delivered again later. */
  stop(): Promise<void>;
}

/** A stretch of a topic to read without a consumer group: from a time on, up to offsets (exclusive). */
export interface ScanRange {
  /** Broker timestamp (ms since the epoch): the first record read per partition is the first at or after it. */
  readonly sinceMs: number;
  /** Next offset not to read, per partition; a partition not named is not read. */
  readonly until: ReadonlyMap<number, bigint>;
}

export interface Transport {
  readonly kind: 'kafka' | 'memory';
  /** The log outlives this process (Kafka): state can be rebuilt by reading it again after a restart. */
  readonly durable: boolean;
  /** Whether the broker can be reached, as last seen. */
  readonly health: BrokerHealth;
  /** Sends records with every in-sync replica's acknowledgement; per-key order is kept. */
  send(records: readonly OutRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * In process only: every group has handed out everything on its topics. A fast simulation waits for
   * this between steps of simulated time; a transport without it is waited on by quiet periods instead.
   */
  caughtUp?(): boolean;
  /** How many partitions a topic has (created with the default count when missing). */
  partitionCount(topic: string): Promise<number>;
  /** The next offset to be written, per partition of `topic` (the end of the log now). */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  /** The next offset a group will read, per partition of `topic`, for the partitions it has committed. */
  committed(groupId: string, topic: string): Promise<Map<number, bigint>>;
  /**
   * Reads a stretch of a topic outside any consumer group (a strategy's warm-up), handing each batch
   * to `onRecords` in offset order per partition; resolves when every partition reached its end.
   */
  scan(topic: string, range: ScanRange, onRecords: (records: readonly InRecord[]) => void, signal?: AbortSignal): Promise<void>;
  /** Creates topics where the broker supports it (Redpanda via admin); a no-op where topics auto-create. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

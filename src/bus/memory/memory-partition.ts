import type { Headers, InRecord, OutRecord } from '../transport.ts';

/** One partition's log: offsets grow from 0; `start` rises as retention drops the oldest records. */
export class MemoryPartition {
  private log: InRecord[] = [];
  private base = 0;
  private head = 0;

  private readonly topic: string;
  private readonly partition: number;
  private readonly retention: number;

  constructor(
    topic: string,
    partition: number,
    retention: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.retention = retention;
  }

  get start(): number {
    return this.base + this.head;
  }

  get end(): number {
    return this.base + this.log.length;
  }

  append(r: OutRecord, timestamp: string): void {
    this.log.push(new MemoryRecord(r, this.partition, String(this.end), timestamp));
    if (this.log.length - this.head > this.retention) this.truncateTo(this.end - this.retention);
  }

  records(from: number, max: number): InRecord[] {
    const i = Math.max(from, this.start) - this.base;
    return this.log.slice(i, i + max);
  }

  /** Drops records below `offset` (every group has committed past them, or retention ran out). */
  truncateTo(offset: number): void {
    this.head = Math.max(this.head, Math.min(offset, this.end) - this.base);
    if (this.head > 4096 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}

/** A record on the in-process log: the event by reference; its bytes only if someone asks (a dead letter). */
class MemoryRecord implements InRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly headers: Headers;
  readonly timestamp: string;
  readonly event: unknown;
  private readonly out: OutRecord;

  constructor(out: OutRecord, partition: number, offset: string, timestamp: string) {
    this.out = out;
    this.topic = out.topic;
    this.partition = partition;
    this.offset = offset;
    this.key = out.key;
    this.headers = out.headers;
    this.timestamp = timestamp;
    this.event = out.event;
  }

  get value(): Buffer {
    return this.out.value;
  }
}

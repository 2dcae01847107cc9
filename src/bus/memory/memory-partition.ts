import type { InRecord, OutRecord } from '../transport.ts';

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
    this.log.push({ topic: this.topic, partition: this.partition, offset: String(this.end), key: r.key, value: r.value, headers: r.headers, timestamp });
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

import type { Ack, Delivery } from './delivery.ts';

/**
 * Tracks one partition's deliveries in offset order and says which offset may be committed: the first
 * one not yet finished. Deliveries finish out of order (different keys, different actors), but the
 * committed offset only passes a message once it and everything before it are done: at-least-once.
 */
export class OffsetTracker implements Ack {
  private queue: Delivery[] = [];
  private head = 0;
  /** The last delivery of the finished run at the head: the next offset to commit is one past its own. */
  private lastDone: Delivery | undefined;
  private lastCommitted: string | undefined;
  revoked = false;

  readonly topic: string;
  readonly partition: number;

  constructor(
    topic: string,
    partition: number,
  ) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Registers a delivery in offset order, before it is dispatched. */
  track(delivery: Delivery): void {
    this.queue.push(delivery);
  }

  done(_delivery: Delivery): void {
    if (this.revoked) return;
    let advanced = false;
    while (this.head < this.queue.length && this.queue[this.head]!.settled) {
      this.head++;
      advanced = true;
    }
    if (!advanced) return;
    // The offset is worked out when a commit asks for it, not per delivery (a BigInt and a string each).
    this.lastDone = this.queue[this.head - 1]!;
    // Compact now and then so a long-lived partition does not keep every delivery it ever saw.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Deliveries handed out and not finished. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** The offset to commit if it moved since the last commit, and marks it committed. */
  takeCommit(): string | undefined {
    if (this.lastDone === undefined) return undefined;
    const committable = (BigInt(this.lastDone.origin!.record.offset) + 1n).toString();
    if (committable === this.lastCommitted) return undefined;
    this.lastCommitted = committable;
    return committable;
  }

  /** A commit of `offset` failed: offer it again next time. */
  commitFailed(offset: string): void {
    if (this.lastCommitted === offset) this.lastCommitted = undefined;
  }
}

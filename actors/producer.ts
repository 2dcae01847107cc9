import nact from 'nact';
import type { OutRecord, Transport } from '../src/bus/transport.ts';
import type { Clock, Timer } from '../src/clock.ts';
import { isRetriable, ShuttingDownError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import type { Delivery } from '../src/runtime/delivery.ts';
import { DrainWatch } from '../src/runtime/drain-watch.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';
import { backoffDelay, recordFailure, type BackoffPolicy, type BackoffState } from '../supervisors/backoff.ts';

export interface ProducerOptions {
  /** How long a record may wait for others to share its send. */
  readonly lingerMs: number;
  readonly maxBatch: number;
  /** Backoff between tries of a send the broker refused with a retriable error. */
  readonly retry: BackoffPolicy;
}

interface Item {
  readonly record: OutRecord;
  readonly cause: Delivery | undefined;
}

/**
 * The producer actor: every actor's output leaves through it. Records queue in its buffer (its mailbox)
 * and one nact message per batch, not per record, wakes it: a scheduler hop per event would cap the
 * system near nact's ~1 M msg/s. At most one batch is in flight, so per-key order holds even across
 * retries. A send refused with a retriable error is tried again after a backoff, forever (an outage
 * stalls, it does not lose); a non-retriable one is split so only the bad records go to the dead letters.
 */
export class ProducerActor implements Outbox {
  readonly path: string;
  private buffer: Item[] = [];
  private inFlight = 0;
  private wakeScheduled = false;
  private linger: Timer | undefined;
  private failures: BackoffState | undefined;
  private closed = false;
  /** After a batch was refused for good: how many records still go one at a time. */
  private singlesLeft = 0;
  private readonly drain = new DrainWatch();
  private readonly ref: unknown;

  private readonly transport: Transport;
  private readonly deadLetters: DeadLetters;
  private readonly options: ProducerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    parentNact: unknown,
    parentPath: string,
    transport: Transport,
    deadLetters: DeadLetters,
    options: ProducerOptions,
    clock: Clock,
    log: Logger,
  ) {
    this.transport = transport;
    this.deadLetters = deadLetters;
    this.options = options;
    this.clock = clock;
    this.log = log;
    this.path = `${parentPath}/producer`;
    this.ref = nact.spawn(
      parentNact as never,
      (state: unknown) => {
        this.wakeScheduled = false;
        this.flush();
        return state;
      },
      'producer',
      { onCrash: (_m: unknown, _e: unknown, ctx: { resume: unknown }) => ctx.resume } as never,
    );
  }

  get backlog(): number {
    return this.buffer.length + this.inFlight;
  }

  whenBelow(threshold: number, fn: () => void): void {
    this.drain.add(threshold, fn, this.backlog);
  }

  publish(record: OutRecord, cause: Delivery | undefined): void {
    if (this.closed) {
      if (cause) this.deadLetters.send(cause, new ShuttingDownError(this.path), this.path);
      return;
    }
    this.buffer.push({ record, cause });
    if (this.buffer.length >= this.options.maxBatch) this.wake();
    else if (!this.linger && !this.wakeScheduled) {
      this.linger = this.clock.schedule(this.options.lingerMs, () => {
        this.linger = undefined;
        this.wake();
      });
    }
  }

  /** Resolves once everything accepted so far is confirmed (or dead-lettered). */
  flushed(): Promise<void> {
    this.wake();
    return new Promise((resolve) => this.whenBelow(0, resolve));
  }

  close(): void {
    this.closed = true;
  }

  private wake(): void {
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    nact.dispatch(this.ref as never, 'flush');
  }

  private flush(): void {
    if (this.inFlight > 0 || this.buffer.length === 0) return;
    const size = this.singlesLeft > 0 ? 1 : this.options.maxBatch;
    const batch = this.buffer.length <= size ? this.buffer : this.buffer.slice(0, size);
    if (this.singlesLeft > 0) this.singlesLeft--;
    this.buffer = batch === this.buffer ? [] : this.buffer.slice(batch.length);
    this.inFlight = batch.length;
    this.transport.send(batch.map((i) => i.record)).then(
      () => this.confirmed(batch),
      (error: unknown) => this.refused(batch, error),
    );
  }

  private confirmed(batch: Item[]): void {
    this.failures = undefined;
    this.inFlight = 0;
    for (const item of batch) item.cause?.endPublish();
    this.drain.check(this.backlog);
    if (this.buffer.length > 0) this.wake();
  }

  private refused(batch: Item[], error: unknown): void {
    this.inFlight = 0;
    if (isRetriable(error) && !this.closed) {
      this.failures = recordFailure(this.failures, this.clock.now(), this.options.retry);
      const delay = backoffDelay(this.options.retry, this.failures, Math.random());
      this.log.warn({ err: error, records: batch.length, delayMs: delay, failures: this.failures.failures }, 'send failed; will retry');
      this.buffer = [...batch, ...this.buffer];
      this.clock.schedule(delay, () => this.wake());
      return;
    }
    if (batch.length > 1) {
      // Find the bad record(s): send these again one at a time, in order.
      this.singlesLeft = batch.length;
      this.buffer = [...batch, ...this.buffer];
      this.wake();
      return;
    }
    for (const item of batch) {
      if (item.cause) this.deadLetters.send(item.cause, error, this.path);
      else this.log.error({ err: error, topic: item.record.topic }, 'record refused by the broker and has no origin to dead-letter');
    }
    this.drain.check(this.backlog);
    if (this.buffer.length > 0) this.wake();
  }
}

import type { Span } from '@opentelemetry/api';
import { partitionOf } from '../src/bus/partition.ts';
import type { OutRecord, Transport } from '../src/bus/transport.ts';
import type { Clock, Timer } from '../src/clock.ts';
import { TransportError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import type { ActorRef, Behaviour } from '../src/runtime/actor-ref.ts';
import { Delivery } from '../src/runtime/delivery.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';
import { endSend } from '../src/telemetry/spans.ts';
import { backoffDelay, recordFailure, type BackoffPolicy, type BackoffState } from '../supervisors/backoff.ts';

export interface ProducerOptions {
  readonly maxBatch: number;
  /** Backoff between tries of a send the broker refused with a retriable error. */
  readonly retry: BackoffPolicy;
}

/** One record to send, and the message whose handling produced it (acknowledged once it is confirmed). */
export interface Publish {
  readonly record: OutRecord;
  readonly cause: Delivery | undefined;
  /** A traced record's send span: ended when the broker confirms the record, or when it is given up. */
  readonly span: Span | undefined;
}

interface ProducerState {
  batch: Publish[];
}

export interface ProducerEnv {
  readonly transport: Transport;
  readonly deadLetters: DeadLetters;
  readonly clock: Clock;
  readonly log: Logger;
  readonly random?: () => number;
}

/**
 * The producer actor: every actor's output leaves through it. Its mailbox is the send buffer: the
 * records that accumulate while a send is in flight go out together in the next one, so a busy system
 * sends big batches and an idle one sends at once. One batch is in flight at a time (the cell runs one
 * `afterBatch` at a time), so per-key order holds across retries without an idempotent producer. A
 * send refused with a retriable error is tried again after a backoff, forever (an outage stalls, it
 * does not lose); a non-retriable one is split so only the bad records go to the dead letters. A crash
 * of this code (a bug) is its supervisor's: the batch in hand is held and sent again after the restart.
 */
export class ProducerBehaviour implements Behaviour<ProducerState, Publish> {
  private closing = false;
  private wake: (() => void) | undefined;
  private failures: BackoffState | undefined;
  /** Partitions per topic, of the topics traced records went to: a send span names the partition its record landed on. */
  private readonly partitions = new Map<string, number | undefined>();
  private readonly options: ProducerOptions;
  private readonly env: ProducerEnv;

  constructor(options: ProducerOptions, env: ProducerEnv) {
    this.options = options;
    this.env = env;
  }

  init(): ProducerState {
    return { batch: [] };
  }

  receive(state: ProducerState, publish: Publish): ProducerState {
    state.batch.push(publish);
    return state;
  }

  async afterBatch(state: ProducerState): Promise<ProducerState> {
    const items = state.batch;
    state.batch = [];
    const { maxBatch } = this.options;
    for (let i = 0; i < items.length; i += maxBatch) await this.send(items.length <= maxBatch ? items : items.slice(i, i + maxBatch));
    return state;
  }

  /** Stop retrying: what is not confirmed by now stays unacknowledged (its cause is delivered again later). */
  close(): void {
    this.closing = true;
    this.wake?.();
  }

  private async send(items: Publish[]): Promise<void> {
    for (;;) {
      try {
        await this.env.transport.send(items.map((i) => i.record));
        this.failures = undefined;
        let traced = false;
        for (const item of items) {
          item.cause?.endPublish();
          if (item.span) traced = true;
        }
        // Untraced (every tick; everything with tracing off): one flag per record, nothing else.
        if (traced) await this.sent(items);
        return;
      } catch (error) {
        // Only a transport's retriable failure is an outage worth waiting out; anything else (a refused
        // record, a record that cannot be encoded) will not improve by retrying.
        const outage = error instanceof TransportError && error.retriable;
        if (outage || this.closing) {
          if (this.closing) {
            this.env.log.warn({ records: items.length }, 'shutting down with records unsent; their causes stay uncommitted and are delivered again');
            for (const item of items) if (item.span) endSend(item.span, undefined, error);
            return;
          }
          for (const item of items) item.span?.addEvent('send failed; will retry');
          this.failures = recordFailure(this.failures, this.env.clock.now(), this.options.retry);
          const delayMs = backoffDelay(this.options.retry, this.failures, (this.env.random ?? Math.random)());
          this.env.log.warn({ err: error, records: items.length, delayMs, failures: this.failures.failures }, 'send failed; will retry');
          await this.sleep(delayMs);
          continue;
        }
        if (items.length > 1) {
          // Find the bad record(s): send these again one at a time, in order.
          for (const item of items) await this.send([item]);
          return;
        }
        const item = items[0]!;
        if (item.span) endSend(item.span, undefined, error);
        if (item.cause) this.env.deadLetters.send(item.cause, error, 'producer');
        else this.env.log.error({ err: error, topic: item.record.topic }, 'record refused by the broker and has no origin to dead-letter');
        return;
      }
    }
  }

  /**
   * Ends the send spans of confirmed records. Both buses place a record by partitionOf(key), so the
   * partition is known from the topic's partition count, asked once per topic (after a send: it exists).
   */
  private async sent(items: readonly Publish[]): Promise<void> {
    for (const { span, record } of items) {
      if (!span) continue;
      // A failed look-up is not kept: the next confirmed record of the topic asks again.
      if (!this.partitions.has(record.topic)) {
        const count = await this.env.transport.partitionCount(record.topic).catch(() => undefined);
        if (count !== undefined) this.partitions.set(record.topic, count);
      }
      const n = this.partitions.get(record.topic);
      endSend(span, n ? partitionOf(record.key, n) : undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const done = () => {
        timer?.cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      timer = this.env.clock.schedule(ms, done);
    });
  }
}

/**
 * What the rest of the system holds: the outbox. Publishing is a message to the producer cell; the
 * backlog is its mailbox depth (records accepted and not yet confirmed or given up).
 */
export class ProducerActor implements Outbox {
  readonly behaviour: ProducerBehaviour;
  private cell: ActorRef<Publish> | undefined;

  constructor(options: ProducerOptions, env: ProducerEnv) {
    this.behaviour = new ProducerBehaviour(options, env);
  }

  /** The supervised cell that runs the behaviour (made by the system after its supervisor exists). */
  attach(cell: ActorRef<Publish>): void {
    this.cell = cell;
  }

  publish(record: OutRecord, cause: Delivery | undefined, span?: Span): void {
    this.cell!.deliver(new Delivery<Publish>({ record, cause, span }));
  }

  get backlog(): number {
    return this.cell?.pending ?? 0;
  }

  whenBelow(threshold: number, fn: () => void): void {
    if (this.cell) this.cell.whenBelow(threshold, fn);
    else fn();
  }

  /** Resolves once everything accepted so far is confirmed (or given up at close). */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.whenBelow(0, resolve));
  }

  close(): void {
    this.behaviour.close();
  }

  /**
   * Where the producer cell's own dead letters go: a publish that cannot be handled dead-letters the
   * message that caused it (with its origin), not the internal publish wrapper.
   */
  static deadLettersVia(deadLetters: DeadLetters, log: Logger): DeadLetters {
    return {
      send(delivery, error, actorPath) {
        const { cause, record, span } = delivery.message as Publish;
        if (span) endSend(span, undefined, error);
        if (cause) deadLetters.send(cause, error, actorPath);
        else log.error({ err: error, topic: record.topic }, 'a record with no origin could not be published');
      },
    };
  }
}

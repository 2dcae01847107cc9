import type { OutRecord } from '../src/bus/transport.ts';
import type { Clock } from '../src/clock.ts';
import { DLT } from '../src/contracts/dead-letter.ts';
import type { Envelope } from '../src/contracts/envelope.ts';
import { dlqOf, INTERNAL_DEAD_LETTERS, MARKET_TICKS } from '../src/contracts/topics.ts';
import { asError, DecodeError, isRetriable } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import type { ActorRef, Behaviour } from '../src/runtime/actor-ref.ts';
import { Delivery } from '../src/runtime/delivery.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';
import type { Probes } from '../src/telemetry/probes.ts';

export interface DeadLetter {
  readonly delivery: Delivery;
  readonly error: unknown;
  readonly actorPath: string;
  readonly failedAt: number;
}

/** Marks the deliveries this actor publishes, so a dead letter that cannot be published is not dead-lettered again. */
class DeadLetterPublish extends Delivery<DeadLetter> {}

/**
 * Publishes what cannot be processed to `<original topic>.dlq` with the original key, value and headers
 * and headers naming where it came from and why it failed. The original is acknowledged (its offset may
 * be committed) only once the dead letter is confirmed; if that never happens the original stays
 * unacknowledged and is delivered again after a restart: nothing is lost silently. The record is built
 * before anything is published, so a crash while building it (a bug, an error object that cannot be
 * read) is retried after the restart without a dead letter having gone out twice.
 */
export class DeadLetterBehaviour implements Behaviour<null, DeadLetter> {
  private readonly outbox: Outbox;
  private readonly log: Logger;
  private readonly probes: Probes | undefined;

  constructor(outbox: Outbox, log: Logger, probes?: Probes) {
    this.outbox = outbox;
    this.log = log;
    this.probes = probes;
  }

  init(): null {
    return null;
  }

  receive(state: null, letter: DeadLetter): null {
    const { delivery, error, actorPath } = letter;
    const record = toRecord(letter);
    this.log.warn({ topic: record.topic, actor: actorPath, err: asError(error), original: coordinates(delivery) }, 'dead-lettered');
    // Settles the original once the dead letter is confirmed; never dead-lettered itself (see lastResort).
    const publish = new DeadLetterPublish(letter, undefined, { done: () => delivery.settle() });
    publish.beginPublish();
    this.outbox.publish(record, publish);
    publish.markHandled();
    this.probes?.deadLettered(record.topic);
    return state;
  }
}

/** What every actor holds: sending a dead letter is a message to the dead-letter cell. */
export class DeadLetterActor implements DeadLetters {
  readonly behaviour: DeadLetterBehaviour;
  private cell: ActorRef<DeadLetter> | undefined;
  private readonly clock: Clock;
  private readonly lastResort: DeadLetters;

  constructor(outbox: Outbox, clock: Clock, log: Logger, probes?: Probes) {
    this.clock = clock;
    this.behaviour = new DeadLetterBehaviour(outbox, log, probes);
    this.lastResort = DeadLetterActor.lastResort(log);
  }

  attach(cell: ActorRef<DeadLetter>): void {
    this.cell = cell;
  }

  send(delivery: Delivery, error: unknown, actorPath: string): void {
    if (delivery instanceof DeadLetterPublish) return this.lastResort.send(delivery, error, actorPath);
    this.cell!.tell({ delivery, error, actorPath, failedAt: this.clock.now() });
  }

  /**
   * Where the dead-letter cell's own failures go, and a dead letter the producer could not publish: the
   * log, loudly, with the original left unacknowledged so it is delivered again after a restart.
   */
  static lastResort(log: Logger): DeadLetters {
    return {
      send(delivery, error) {
        const letter = delivery.message as Partial<DeadLetter> | undefined;
        const original = letter?.delivery instanceof Delivery ? letter.delivery : delivery;
        log.fatal({ err: asError(error), original: coordinates(original) }, 'dead letter could not be published; original left unacknowledged for redelivery');
      },
    };
  }
}

function coordinates(d: Delivery): Record<string, unknown> | undefined {
  const r = d.origin?.record;
  return r && { topic: r.topic, partition: r.partition, offset: r.offset };
}

export function toRecord({ delivery, error, actorPath, failedAt }: DeadLetter): OutRecord {
  const err = asError(error);
  const origin = delivery.origin;
  const headers: Record<string, string> = {
    ...(origin?.record.headers ?? {}),
    [DLT.exceptionClass]: err.name,
    [DLT.exceptionMessage]: err.message,
    [DLT.exceptionStacktrace]: err.stack ?? '',
    [DLT.retriable]: String(isRetriable(err)),
    [DLT.actorPath]: actorPath,
    [DLT.attempts]: String(Math.max(1, delivery.attempts)),
    [DLT.failedAt]: new Date(failedAt).toISOString(),
  };
  if (err instanceof DecodeError) {
    headers[DLT.decodeKind] = err.kind;
    if (err.path) headers[DLT.decodePath] = err.path;
  }
  if (!origin) {
    const m = delivery.message as Partial<Envelope> | undefined;
    // A tick handed over in process (never on the log): to market.ticks' dead letters, as the event it is.
    if (m?.type === 'market_tick' && typeof m.key === 'string') {
      headers[DLT.originalTopic] = MARKET_TICKS;
      return { topic: dlqOf(MARKET_TICKS), key: m.key, value: Buffer.from(safeJson(m)), headers };
    }
    return { topic: INTERNAL_DEAD_LETTERS, key: actorPath, value: Buffer.from(safeJson(delivery.message)), headers };
  }
  const r = origin.record;
  Object.assign(headers, {
    [DLT.originalTopic]: r.topic,
    [DLT.originalPartition]: String(r.partition),
    [DLT.originalOffset]: r.offset,
    [DLT.originalTimestamp]: r.timestamp,
    [DLT.originalGroup]: origin.groupId,
  });
  return { topic: dlqOf(r.topic), key: r.key ?? '', value: r.value ?? Buffer.alloc(0), headers };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

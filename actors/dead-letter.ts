import nact from 'nact';
import type { OutRecord } from '../src/bus/transport.ts';
import type { Clock } from '../src/clock.ts';
import { DLT } from '../src/contracts/dead-letter.ts';
import { dlqOf, INTERNAL_DEAD_LETTERS } from '../src/contracts/topics.ts';
import { asError, DecodeError, isRetriable } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { Delivery } from '../src/runtime/delivery.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';

interface DeadLetter {
  readonly delivery: Delivery;
  readonly error: unknown;
  readonly actorPath: string;
  readonly failedAt: number;
}

/** Marks the deliveries this actor publishes, so a failure to publish a dead letter is not dead-lettered again. */
class DeadLetterPublish extends Delivery<DeadLetter> {}

/**
 * Publishes what cannot be processed to `<original topic>.dlq` with the original key, value and headers
 * and headers naming where it came from and why it failed. The original is acknowledged (its offset may
 * be committed) only once the dead letter is confirmed; if even that fails the original stays
 * unacknowledged and is delivered again after a restart: nothing is lost silently.
 */
export class DeadLetterActor implements DeadLetters {
  readonly path: string;
  private readonly ref: unknown;

  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    parentNact: unknown,
    parentPath: string,
    outbox: Outbox,
    clock: Clock,
    log: Logger,
  ) {
    this.outbox = outbox;
    this.clock = clock;
    this.log = log;
    this.path = `${parentPath}/dead-letters`;
    this.ref = nact.spawn(
      parentNact as never,
      (state: unknown, letter: DeadLetter) => {
        this.publish(letter);
        return state;
      },
      'dead-letters',
      { onCrash: (_m: unknown, _e: unknown, ctx: { resume: unknown }) => ctx.resume } as never,
    );
  }

  send(delivery: Delivery, error: unknown, actorPath: string): void {
    nact.dispatch(this.ref as never, { delivery, error, actorPath, failedAt: this.clock.now() } satisfies DeadLetter);
  }

  private publish(letter: DeadLetter): void {
    const { delivery, error, actorPath } = letter;
    if (delivery instanceof DeadLetterPublish) {
      const original = delivery.message.delivery;
      this.log.fatal({ err: asError(error), original: coordinates(original) }, 'dead letter could not be published; original left unacknowledged for redelivery');
      return;
    }
    const record = toRecord(letter);
    this.log.warn({ topic: record.topic, actor: actorPath, err: asError(error), original: coordinates(delivery) }, 'dead-lettered');
    const publish = new DeadLetterPublish(letter, undefined, { done: () => delivery.settle() });
    publish.beginPublish();
    this.outbox.publish(record, publish);
    publish.markHandled();
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

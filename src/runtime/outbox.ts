import type { Span } from '@opentelemetry/api';
import type { OutRecord } from '../bus/transport.ts';
import { Delivery } from './delivery.ts';

/**
 * Where actors' outputs go: the producer actor. `cause` is acknowledged once the record is confirmed;
 * `span`, the record's send span (a traced record), ends then too.
 */
export interface Outbox {
  publish(record: OutRecord, cause: Delivery | undefined, span?: Span): void;
  /** Records accepted and not yet confirmed by the broker. */
  readonly backlog: number;
  whenBelow(threshold: number, fn: () => void): void;
}

/** Where what cannot be processed goes: the dead-letter actor. */
export interface DeadLetters {
  send(delivery: Delivery, error: unknown, actorPath: string): void;
}

/**
 * Publishes records from outside any actor (a relay, a tool) and resolves once the broker has confirmed
 * every one (or they were dead-lettered). Never rejects: a record not confirmed keeps it waiting.
 */
export async function publishConfirmed(outbox: Outbox, records: readonly OutRecord[]): Promise<void> {
  if (records.length === 0) return;
  await new Promise<void>((resolve) => {
    const cause = new Delivery<undefined>(undefined, undefined, { done: () => resolve() });
    for (const r of records) {
      cause.beginPublish();
      outbox.publish(r, cause);
    }
    cause.markHandled();
  });
}

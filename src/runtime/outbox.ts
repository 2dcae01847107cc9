import type { OutRecord } from '../bus/transport.ts';
import type { Delivery } from './delivery.ts';

/** Where actors' outputs go: the producer actor. `cause` is acknowledged once the record is confirmed. */
export interface Outbox {
  publish(record: OutRecord, cause: Delivery | undefined): void;
  /** Records accepted and not yet confirmed by the broker. */
  readonly backlog: number;
  whenBelow(threshold: number, fn: () => void): void;
}

/** Where what cannot be processed goes: the dead-letter actor. */
export interface DeadLetters {
  send(delivery: Delivery, error: unknown, actorPath: string): void;
}

import type { Headers, InRecord } from '../bus/transport.ts';

/** Where a message came from: what a dead letter must carry so it can be found and replayed. */
export interface Origin {
  readonly record: InRecord;
  readonly groupId: string;
}

/** Told when a delivery is finished: processed with its outputs confirmed, or dead-lettered. */
export interface Ack {
  done(delivery: Delivery): void;
}

/**
 * A message on its way through the actors, with what is needed to never lose it: its origin, the ack
 * that lets the consumer commit its offset, and how often it was tried.
 */
export class Delivery<M = unknown> {
  readonly message: M;
  readonly origin: Origin | undefined;
  readonly ack: Ack | undefined;
  /** Trace context (W3C traceparent/tracestate) to carry onto everything this message causes. */
  readonly trace: Headers | undefined;
  attempts = 0;
  /** Of a batched message (runtime/batched.ts), the item `attempts` counts the failures of. */
  failedAt: number | undefined;
  /** Outputs published while handling this message that the broker has not confirmed yet. */
  outstanding = 0;
  handled = false;
  settled = false;
  failed = false;
  /**
   * A message that must never be dropped to the dead letters, however often it fails (an actor's own
   * lifecycle command, such as a consumer's re-subscribe): its supervisor keeps restarting with backoff.
   */
  sticky = false;

  constructor(message: M, origin?: Origin, ack?: Ack, trace?: Headers) {
    this.message = message;
    this.origin = origin;
    this.ack = ack;
    this.trace = trace;
  }

  /** Handling finished without error; the delivery is done once its outputs are confirmed. */
  markHandled(): void {
    this.handled = true;
    if (this.outstanding === 0) this.settle();
  }

  beginPublish(): void {
    this.outstanding++;
  }

  endPublish(): void {
    this.outstanding--;
    if (this.outstanding === 0 && this.handled) this.settle();
  }

  /** Acknowledges once, whatever path got here first. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.ack?.done(this);
  }
}

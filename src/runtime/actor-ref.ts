import type { Clock } from '../clock.ts';
import type { Envelope } from '../contracts/envelope.ts';
import type { Logger } from '../log.ts';
import type { Delivery } from './delivery.ts';

/** How everything outside an actor talks to it. Messages to a stopped actor go to the dead letters. */
export interface ActorRef<M> {
  readonly path: string;
  /** An internal message (no topic of origin, nothing to acknowledge). */
  tell(message: M): void;
  deliver(delivery: Delivery<M>): void;
  /** Many deliveries in one actor turn: how ticks travel without a scheduler hop per message. */
  deliverBatch(deliveries: Delivery<M>[]): void;
  /** Deliveries accepted and not yet finished (queued, stashed or in hand): the mailbox depth. */
  readonly pending: number;
  /** Calls `fn` once, when `pending` has fallen to `threshold` or below. */
  whenBelow(threshold: number, fn: () => void): void;
}

/** What a behaviour sees while it handles one message. */
export interface ActorContext<M> {
  readonly path: string;
  readonly self: ActorRef<M>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The message in hand, with its origin. */
  readonly delivery: Delivery<M>;
  /**
   * Publishes an event caused by the message in hand. The message is acknowledged (its offset may be
   * committed) only after the broker has confirmed every event it published.
   */
  publish(topic: string, event: Envelope): void;
  /**
   * Records what the actor made of the message in hand on its span (the risk decision): a no-op when
   * the message is not traced. Key and value rather than an object, so an untraced call allocates nothing.
   */
  annotate(key: string, value: string | number | boolean): void;
  /** Ends this actor normally after the message in hand. */
  stop(): void;
  /**
   * Keeps the message in hand unfinished after `receive` returns (its offset is not committed), for a
   * behaviour that must come back to it: a strategy warming up holds its live ticks. `resume(fn)` runs
   * `fn` with that message in hand again (what it publishes is caused by that message) and then lets
   * it finish; `release()` lets it finish without (the actor is stopping).
   */
  hold(): HeldMessage<M>;
}

export interface HeldMessage<M> {
  readonly delivery: Delivery<M>;
  resume(fn: () => void): void;
  release(): void;
}

/**
 * An event a behaviour published while handling a batch (held until its `afterBatch` has resolved).
 * afterBatch may replace `event` (by what the ledger already holds for the same effect).
 */
export interface Output {
  readonly topic: string;
  event: Envelope;
}

/**
 * An actor's logic: synchronous and pure where it can be (strategies, risk checks, fills), async only
 * where it talks to the outside (a broker, the database). A throw is a bug or an outage: the supervisor
 * decides what happens next. The hooks are optional, as in Akka: `preStart` after every (re)start
 * before any message (acquire what the actor holds: a subscription), `postStop` before a restart
 * discards the state and when the actor stops for good (release it), `afterBatch` once the messages
 * that accumulated in one turn are all received. With `afterBatch`, what those messages published is
 * held and handed to it (`outputs`: to make durable first, as the risk checker records its verdicts),
 * and goes out only when it resolves; the messages are finished then too.
 */
export interface Behaviour<S, M> {
  init(): S;
  receive(state: S, message: M, ctx: ActorContext<M>): S | Promise<S>;
  preStart?(state: S, ctx: ActorContext<M>): S | Promise<S>;
  postStop?(state: S, ctx: ActorContext<M>): void | Promise<void>;
  afterBatch?(state: S, ctx: ActorContext<M>, outputs: readonly Output[]): S | Promise<S>;
}

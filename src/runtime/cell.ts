import type { Span } from '@opentelemetry/api';
import type { Headers } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';
import type { Envelope } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
import { ActorStoppedError, asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { chainLogBindings } from '../telemetry/log-context.ts';
import { endSpan, startHandlingSpan, startSendSpan, type Handling } from '../telemetry/spans.ts';
import { extractTrace, spanContextOf } from '../telemetry/trace-context.ts';
import type { ActorContext, ActorRef, Behaviour, HeldMessage, Output } from './actor-ref.ts';
import { isBatched } from './batched.ts';
import { Delivery, type Ack } from './delivery.ts';
import { DrainWatch } from './drain-watch.ts';
import { send, spawnReceiver, stopActor, type NactParent, type NactRef } from './nact.ts';
import type { DeadLetters, Outbox } from './outbox.ts';
import type { Child, Parent, RestartType } from './supervision.ts';

type Control =
  | { readonly control: 'start' }
  | { readonly control: 'restart'; readonly dropHead: boolean }
  | { readonly control: 'suspend' }
  | { readonly control: 'terminate'; readonly error: Error };

/** The one nact message that tells a cell to work through its inbox. */
const DRAIN = Symbol('drain');
type NactMessage = typeof DRAIN | Control;

export interface CellOptions<S, M> {
  readonly name: string;
  readonly behaviour: Behaviour<S, M>;
  readonly restartType?: RestartType;
}

export interface CellEnv {
  readonly clock: Clock;
  readonly log: Logger;
  readonly outbox: Outbox;
  readonly deadLetters: DeadLetters;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

/**
 * A supervised actor: one nact actor running a behaviour, with what nact lacks. A failing message is
 * held, not dropped: the cell suspends (holding what arrives meanwhile), reports to its parent and
 * resumes with that message first when restarted, or dead-letters it when told to. Messages sent to a
 * stopped cell go to the dead letters. `pending` counts every delivery not yet finished, for backpressure.
 * A behaviour with `preStart` starts at once; any other is made on its first message, so idle actors
 * (thousands of strategies between ticks) stay small.
 */
export class Cell<S, M> implements ActorRef<M>, Child {
  readonly name: string;
  readonly restartType: RestartType;
  pending = 0;
  private mode: 'running' | 'suspended' | 'stopped' = 'running';
  private state: S | undefined;
  private started = false;
  /** While a traced message is handled: its span, the parent of what is published meanwhile. */
  handling: Handling | undefined;
  /** Deliveries accepted and not yet handed to the behaviour (see scheduleDrain). */
  private inbox: Delivery<M>[] | undefined;
  private drainScheduled = false;
  /** Messages held while suspended; allocated only when something is held. */
  private stash: Delivery<M>[] | undefined;
  private lastError: unknown;
  private terminationError: Error | undefined;
  stopRequested = false;
  private drain: DrainWatch | undefined;
  private context: CellContext<M> | undefined;
  /** With afterBatch: what the batch in hand published, held until afterBatch resolves. */
  private held: Array<{ output: Output; cause: Delivery<M>; headers: Headers; span: Span | undefined }> | undefined;
  private readonly nactRef: NactRef<NactMessage>;
  private readonly behaviour: Behaviour<S, M>;
  private readonly parent: Parent;
  private readonly env: CellEnv;

  constructor(parentNact: NactParent, parent: Parent, options: CellOptions<S, M>, env: CellEnv) {
    this.parent = parent;
    this.env = env;
    this.name = options.name;
    this.restartType = options.restartType ?? 'permanent';
    this.behaviour = options.behaviour;
    this.nactRef = spawnReceiver<NactMessage>(parentNact, options.name, this);
    if (this.behaviour.preStart) send(this.nactRef, { control: 'start' });
  }

  /** Made on demand: an idle actor should cost little. */
  get path(): string {
    return `${this.parent.path}/${this.name}`;
  }

  private get ctx(): CellContext<M> {
    return (this.context ??= new CellContext(this as unknown as Cell<unknown, M>, this.env));
  }

  tell(message: M): void {
    this.deliver(new Delivery(message));
  }

  deliver(delivery: Delivery<M>): void {
    if (this.mode === 'stopped') return this.deadLetter(delivery, new ActorStoppedError(this.path), false);
    this.pending++;
    (this.inbox ??= []).push(delivery);
    this.scheduleDrain();
  }

  deliverBatch(deliveries: Delivery<M>[]): void {
    if (this.mode === 'stopped') {
      for (const d of deliveries) this.deadLetter(d, new ActorStoppedError(this.path), false);
      return;
    }
    this.pending += deliveries.length;
    if (this.inbox) for (const d of deliveries) this.inbox.push(d);
    else this.inbox = deliveries.slice();
    this.scheduleDrain();
  }

  /**
   * nact spends a setImmediate per message, so an actor gets one message per event-loop turn. Deliveries
   * therefore wait in the cell's own inbox, and one nact message (at most one outstanding) drains
   * everything that has accumulated: a busy actor handles its whole backlog per turn instead of one batch.
   */
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    send(this.nactRef, DRAIN);
  }

  whenBelow(threshold: number, fn: () => void): void {
    (this.drain ??= new DrainWatch()).add(threshold, fn, this.pending);
  }

  get isStopped(): boolean {
    return this.mode === 'stopped';
  }

  suspend(): void {
    send(this.nactRef, { control: 'suspend' });
  }

  restart(dropHead: boolean): void {
    send(this.nactRef, { control: 'restart', dropHead });
  }

  terminate(error: Error): void {
    // Stop at once for new senders; what is already queued is dead-lettered in order as nact hands it over.
    this.mode = 'stopped';
    this.terminationError = error;
    send(this.nactRef, { control: 'terminate', error });
  }

  /** Releases the nact actor for good (a removed child). Only once nothing is pending. */
  dispose(): void {
    this.mode = 'stopped';
    this.whenBelow(0, () => stopActor(this.nactRef));
  }

  /** nact's hand-over (Receiver): a drain of the inbox, or a control from the parent. */
  onMessage(msg: NactMessage): void | Promise<void> {
    if (msg === DRAIN) {
      const batch = this.inbox ?? [];
      this.inbox = undefined;
      this.drainScheduled = false;
      return this.process(batch, 0);
    }
    return this.control(msg);
  }

  private control(c: Control): void | Promise<void> {
    switch (c.control) {
      case 'start':
        return this.process([], 0);
      case 'suspend':
        if (this.mode === 'running') this.mode = 'suspended';
        return;
      case 'terminate':
        return this.then(this.release(), () => this.releaseHeld());
      case 'restart': {
        this.terminationError = undefined;
        this.mode = 'running';
        const replay = this.stash ?? [];
        this.stash = undefined;
        if (c.dropHead && replay.length > 0) this.dropFailed(replay);
        return this.then(this.release(), () => this.process(replay, 0));
      }
    }
  }

  private then(first: void | Promise<void>, next: () => void | Promise<void>): void | Promise<void> {
    return first ? first.then(next) : next();
  }

  /** postStop on the state being discarded; a failure there is logged, never thrown (the state is gone either way). */
  private release(): void | Promise<void> {
    if (!this.started) return;
    const state = this.state as S;
    this.started = false;
    this.state = undefined;
    if (!this.behaviour.postStop) return;
    const warn = (e: unknown) => this.env.log.warn({ err: asError(e), actor: this.path }, 'postStop failed');
    try {
      const r = this.behaviour.postStop(state, this.ctx);
      if (r) return r.catch(warn);
    } catch (e) {
      warn(e);
    }
  }

  /** init, then preStart when the behaviour has one. */
  private begin(): void | Promise<void> {
    this.state = this.behaviour.init();
    this.started = true;
    if (!this.behaviour.preStart) return;
    const r = this.behaviour.preStart(this.state, this.ctx);
    if (!isThenable(r)) {
      this.state = r;
      return;
    }
    return (r as Promise<S>).then((s) => {
      this.state = s;
    });
  }

  /**
   * Runs deliveries in order; stops at the first failure, holding it and the rest. With `afterBatch`, the
   * deliveries finish only once it has resolved, and a failure holds the whole batch (replayed after
   * the restart into fresh state).
   */
  private process(batch: Delivery<M>[], from: number): void | Promise<void> {
    if (!this.started && this.mode === 'running') {
      let begun: void | Promise<void>;
      try {
        begun = this.begin();
      } catch (error) {
        return this.fail(batch, from, error, true);
      }
      if (begun) return begun.then(() => this.process(batch, from), (error: unknown) => this.fail(batch, from, error, true));
    }
    const batched = this.behaviour.afterBatch !== undefined;
    for (let i = from; i < batch.length; i++) {
      if (this.mode !== 'running') return this.hold(batch, batched ? 0 : i);
      const d = batch[i]!;
      // Untraced messages (every tick) pay one property check here: no span, no context, no headers.
      this.handling = d.trace ? startHandlingSpan(this.path, this.name, d.origin?.record, d.origin?.groupId, d.message, d.trace) : undefined;
      this.ctx.begin(d);
      let next: S | Promise<S>;
      try {
        next = this.behaviour.receive(this.state as S, d.message, this.ctx);
      } catch (error) {
        this.handled(error);
        return this.fail(batch, i, error);
      }
      if (isThenable(next)) {
        return (next as Promise<S>).then(
          (state) => {
            this.handled();
            this.state = state;
            if (!batched) this.finish(d);
            return this.process(batch, i + 1);
          },
          (error: unknown) => {
            this.handled(error);
            return this.fail(batch, i, error);
          },
        );
      }
      this.handled();
      this.state = next;
      if (!batched) this.finish(d);
    }
    if (batched && batch.length > 0 && this.mode === 'running') return this.completeBatch(batch);
  }

  /** The message in hand is done with (`error`: it failed): its span ends. */
  private handled(error?: unknown): void {
    const h = this.handling;
    this.handling = undefined;
    this.ctx.end();
    if (h) endSpan(h.span, error);
  }

  private completeBatch(batch: Delivery<M>[]): void | Promise<void> {
    const held = this.held ?? [];
    this.held = undefined;
    const done = (state: S) => {
      this.state = state;
      for (const h of held) this.send(h.output.topic, h.output.event, h.cause, h.headers, h.span);
      for (const d of batch) this.finish(d);
    };
    // Failed: nothing held goes out; the batch is received again after the restart and publishes anew.
    const failed = (error: unknown) => {
      for (const h of held) unsent(h, error);
      return this.fail(batch, 0, error);
    };
    let r: S | Promise<S>;
    try {
      r = this.behaviour.afterBatch!(this.state as S, this.ctx, held.map((h) => h.output));
    } catch (error) {
      return failed(error);
    }
    if (!isThenable(r)) return done(r);
    return (r as Promise<S>).then(done, failed);
  }

  private finish(d: Delivery<M>): void {
    d.markHandled();
    this.pending--;
    this.drain?.check(this.pending);
    if (this.stopRequested) {
      this.stopRequested = false;
      this.mode = 'suspended';
      this.parent.childExited(this);
    }
  }

  /** A failure while handling batch[index] (or while starting, `starting`): hold, suspend, tell the parent. */
  private fail(batch: Delivery<M>[], index: number, error: unknown, starting = false): void {
    // Outputs held for this batch do not go out: it is received again after the restart.
    for (const h of this.held ?? []) unsent(h, error);
    this.held = undefined;
    const d = starting ? undefined : batch[index];
    if (d) {
      // Of a batched message, the item in hand is what was tried: a failure of a later item starts its count afresh.
      const m: unknown = d.message;
      if (isBatched(m) && d.failedAt !== m.position) {
        d.failedAt = m.position;
        d.attempts = 0;
      }
      d.attempts++;
    }
    this.lastError = error;
    this.mode = 'suspended';
    this.hold(batch, this.behaviour.afterBatch && !starting ? 0 : index);
    this.parent.childFailed(this, error, d as Delivery | undefined);
  }

  private hold(batch: Delivery<M>[], from: number): void {
    if (this.mode === 'stopped') {
      this.releaseHeld();
      for (let i = from; i < batch.length; i++) this.deadLetter(batch[i]!, new ActorStoppedError(this.path), true);
      return;
    }
    const stash = (this.stash ??= []);
    for (let i = from; i < batch.length; i++) stash.push(batch[i]!);
  }

  /** Dead-letters what a stopped cell still holds: the failing message with its own error, the rest as undeliverable. */
  private releaseHeld(): void {
    const held = this.stash ?? [];
    this.stash = undefined;
    const error = this.terminationError ?? new ActorStoppedError(this.path);
    for (const d of held) this.deadLetter(d, d.attempts > 0 && this.lastError ? this.lastError : error, true);
  }

  /**
   * Dead-letters the message that kept failing (the head of `replay`). Of a batched message only the
   * failing item goes; the rest stays at the head, to be handled by the fresh state.
   */
  private dropFailed(replay: Delivery<M>[]): void {
    const head = replay[0]!;
    const m: unknown = head.message;
    if (!isBatched(m) || m.remaining <= 1) return this.deadLetter(replay.shift()!, this.lastError, true);
    const item = new Delivery<unknown>(m.takeFailed());
    item.attempts = head.attempts;
    head.attempts = 0;
    this.deadLetter(item as Delivery<M>, this.lastError, false);
  }

  private deadLetter(d: Delivery<M>, error: unknown, wasPending: boolean): void {
    d.failed = true;
    const m: unknown = d.message;
    if (isBatched(m) && m.remaining > 0) {
      // Each item not yet handled is a dead letter of its own; the batch is finished once they all are.
      const all = new Countdown(m.remaining, () => d.settle());
      while (m.remaining > 0) this.env.deadLetters.send(new Delivery<unknown>(m.takeFailed(), undefined, all), error, this.path);
    } else this.env.deadLetters.send(d as Delivery, error, this.path);
    if (wasPending) {
      this.pending--;
      this.drain?.check(this.pending);
    }
  }

  /**
   * Publishes an event caused by the message in hand (ActorContext.publish); held until afterBatch has
   * resolved when the behaviour has one. The message is not finished before its outputs are confirmed.
   */
  publishCaused(topic: string, event: Envelope): void {
    const cause = this.ctx.delivery as Delivery<M> | undefined;
    // A signal starts a chain and a trace; anything else carries on the trace of the message in hand
    // (its handling span; a held message resumed later has only the context it arrived with).
    const startsChain = event.correlation_id === event.id && event.causation_id !== null;
    const parent = startsChain ? undefined : (this.handling?.context ?? (cause?.trace ? extractTrace(cause.trace) : undefined));
    const sending = startsChain || parent ? startSendSpan(topic, event, parent) : undefined;
    const headers = sending ? sending.headers : {};
    if (this.behaviour.afterBatch && cause) {
      cause.beginPublish();
      (this.held ??= []).push({ output: { topic, event }, cause, headers, span: sending?.span });
      return;
    }
    cause?.beginPublish();
    this.send(topic, event, cause, headers, sending?.span);
  }

  /** Hands a record to the outbox; `cause`'s publication was begun already. */
  private send(topic: string, event: Envelope, cause: Delivery<M> | undefined, headers: Headers, span: Span | undefined): void {
    this.env.outbox.publish(new EventRecord(topic, event, headers), cause as Delivery | undefined, span);
  }
}

/** Calls `done` once `count` deliveries have finished. */
class Countdown implements Ack {
  private left: number;
  private readonly then: () => void;

  constructor(count: number, then: () => void) {
    this.left = count;
    this.then = then;
  }

  done(): void {
    if (--this.left === 0) this.then();
  }
}

/** A held output that will not go out (its batch failed, and publishes anew after the restart). */
function unsent(h: { readonly cause: Delivery; readonly span: Span | undefined }, error: unknown): void {
  h.cause.endPublish();
  if (h.span) endSpan(h.span, error);
}

/** What a behaviour sees: one per cell, prototype methods only, the logger made on first use (a pino child is ~1 KB). */
class CellContext<M> implements ActorContext<M> {
  delivery: Delivery<M> = undefined as unknown as Delivery<M>;
  /** A message is in hand (being received, or resumed): `log` binds it. */
  private inHand = false;
  private readonly cell: Cell<unknown, M>;
  private readonly env: CellEnv;
  private logger: Logger | undefined;
  /** The logger bound to the message in hand, made when the actor first logs while handling it. */
  private chainLogger: Logger | undefined;

  constructor(cell: Cell<unknown, M>, env: CellEnv) {
    this.cell = cell;
    this.env = env;
  }

  get path(): string {
    return this.cell.path;
  }

  get self(): ActorRef<M> {
    return this.cell;
  }

  get clock(): Clock {
    return this.env.clock;
  }

  /** `d` is in hand from now until end(). Three assignments: what it costs a message whose actor does not log. */
  begin(d: Delivery<M>): void {
    this.delivery = d;
    this.inHand = true;
    this.chainLogger = undefined;
  }

  end(): void {
    this.inHand = false;
    this.chainLogger = undefined;
  }

  /**
   * The actor's logger; while an event is in hand, a child bound to its chain: its correlation id, and
   * the trace and span it is handled in when it came traced (tracing export on or off). Made only when
   * the actor logs, once per message: a message whose actor says nothing costs no logger.
   */
  get log(): Logger {
    const base = (this.logger ??= this.env.log.child({ actor: this.cell.path }));
    if (!this.inHand) return base;
    if (this.chainLogger) return this.chainLogger;
    const d = this.delivery;
    const span = this.cell.handling?.span.spanContext() ?? (d.trace ? spanContextOf(d.trace) : undefined);
    const bindings = chainLogBindings(d.message, span);
    return (this.chainLogger = bindings ? base.child(bindings) : base);
  }

  annotate(key: string, value: string | number | boolean): void {
    this.cell.handling?.span.setAttribute(key, value);
  }

  publish(topic: string, event: Envelope): void {
    this.cell.publishCaused(topic, event);
  }

  stop(): void {
    this.cell.stopRequested = true;
  }

  hold(): HeldMessage<M> {
    const d = this.delivery;
    // An outstanding piece of work on the delivery, as an unconfirmed output is: it is not settled
    // (nor its offset committed) until it is ended.
    d.beginPublish();
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      d.endPublish();
    };
    return {
      delivery: d,
      resume: (fn) => {
        const was = this.delivery;
        const wasInHand = this.inHand;
        this.begin(d);
        try {
          fn();
        } finally {
          this.delivery = was;
          this.inHand = wasInHand;
          this.chainLogger = undefined;
          end();
        }
      },
      release: end,
    };
  }
}

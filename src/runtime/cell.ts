import nact from 'nact';
import type { Clock } from '../clock.ts';
import type { Envelope } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
import type { Headers } from '../bus/transport.ts';
import { endSpan, startChainTrace, startHandlingSpan } from '../telemetry/spans.ts';
import { ActorStoppedError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Child, Parent, RestartType } from '../../supervisors/child.ts';
import type { ActorContext, ActorRef, Behaviour } from './actor-ref.ts';
import { Delivery } from './delivery.ts';
import { DrainWatch } from './drain-watch.ts';
import type { DeadLetters, Outbox } from './outbox.ts';

type Control = { readonly control: 'restart'; readonly dropHead: boolean } | { readonly control: 'suspend' } | { readonly control: 'terminate'; readonly error: Error };

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

/** Nothing reaches nact's own supervision: every throw is caught in the cell and reported to its parent. */
const NACT_PROPERTIES = { onCrash: (_m: unknown, _e: unknown, ctx: { resume: unknown }) => ctx.resume };

/** The one nact message that tells a cell to work through its inbox. */
const DRAIN = Symbol('drain');

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

/**
 * A supervised actor: one nact actor running a behaviour, with what nact lacks. A failing message is
 * held, not dropped: the cell suspends (holding what arrives meanwhile), reports to its supervisor and
 * resumes with that message first when restarted, or dead-letters it when told to. Messages sent to a
 * stopped cell go to the dead letters. `pending` counts every delivery not yet finished, for backpressure.
 */
export class Cell<S, M> implements ActorRef<M>, Child {
  readonly name: string;
  readonly restartType: RestartType;
  pending = 0;
  private mode: 'running' | 'suspended' | 'stopped' = 'running';
  /** Made by `behaviour.init()` on the first message (and after a restart): idle actors stay small. */
  private state: S | undefined;
  private started = false;
  /** Trace headers for what is published while the message in hand is handled (its span's context). */
  private publishHeaders: Headers | undefined;
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
  private readonly nactRef: unknown;

  private readonly parent: Parent;
  private readonly env: CellEnv;

  constructor(
    parentNact: unknown,
    parent: Parent,
    options: CellOptions<S, M>,
    env: CellEnv,
  ) {
    this.parent = parent;
    this.env = env;
    this.name = options.name;
    this.restartType = options.restartType ?? 'permanent';
    this.behaviour = options.behaviour;
    this.nactRef = nact.spawn(parentNact as never, (state: unknown, msg: unknown) => this.onMessage(msg, state), options.name, NACT_PROPERTIES as never);
  }

  /** Made on demand: an idle actor should cost little (thousands of strategies sit idle between ticks). */
  get path(): string {
    return `${this.parent.path}/${this.name}`;
  }

  /** One context per cell, made on its first message; its `delivery` is swapped per message after that. */
  private get ctx(): CellContext<M> {
    return (this.context ??= new CellContext(this as unknown as Cell<unknown, M>, this.env));
  }

  private readonly behaviour: Behaviour<S, M>;

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
    nact.dispatch(this.nactRef as never, DRAIN);
  }

  whenBelow(threshold: number, fn: () => void): void {
    (this.drain ??= new DrainWatch()).add(threshold, fn, this.pending);
  }

  get isStopped(): boolean {
    return this.mode === 'stopped';
  }

  suspend(): void {
    nact.dispatch(this.nactRef as never, { control: 'suspend' } satisfies Control);
  }

  restart(dropHead: boolean): void {
    nact.dispatch(this.nactRef as never, { control: 'restart', dropHead } satisfies Control);
  }

  terminate(error: Error): void {
    // Stop at once for new senders; what is already queued is dead-lettered in order as nact hands it over.
    this.mode = 'stopped';
    this.terminationError = error;
    nact.dispatch(this.nactRef as never, { control: 'terminate', error } satisfies Control);
  }

  /** Releases the nact actor for good (a removed child). Only once nothing is pending. */
  dispose(): void {
    this.mode = 'stopped';
    this.whenBelow(0, () => nact.stop(this.nactRef as never));
  }

  private onMessage(msg: unknown, nactState: unknown): unknown {
    if (msg === DRAIN) {
      const batch = this.inbox ?? [];
      this.inbox = undefined;
      this.drainScheduled = false;
      return this.settleTurn(this.process(batch, 0), nactState);
    }
    return this.settleTurn(this.control(msg as Control), nactState);
  }

  private settleTurn(result: void | Promise<void>, nactState: unknown): unknown {
    return result ? result.then(() => nactState) : nactState;
  }

  private control(c: Control): void | Promise<void> {
    switch (c.control) {
      case 'suspend':
        if (this.mode === 'running') this.mode = 'suspended';
        return;
      case 'terminate':
        this.releaseHeld();
        return;
      case 'restart': {
        this.terminationError = undefined;
        this.started = false;
        this.state = undefined;
        this.mode = 'running';
        const replay = this.stash ?? [];
        this.stash = undefined;
        if (c.dropHead && replay.length > 0) this.deadLetter(replay.shift()!, this.lastError, true);
        return this.process(replay, 0);
      }
    }
  }

  /** Runs deliveries in order; stops at the first failure, holding it and the rest. */
  private process(batch: Delivery<M>[], from: number): void | Promise<void> {
    for (let i = from; i < batch.length; i++) {
      if (this.mode !== 'running') return this.hold(batch, i);
      const d = batch[i]!;
      this.ctx.delivery = d;
      const traced = d.trace ? startHandlingSpan(this.path, this.name, d.origin?.record.topic, d.message, d.trace) : undefined;
      this.publishHeaders = traced?.headers;
      let next: S | Promise<S>;
      try {
        if (!this.started) {
          this.state = this.behaviour.init();
          this.started = true;
        }
        next = this.behaviour.receive(this.state as S, d.message, this.ctx);
      } catch (error) {
        if (traced) endSpan(traced.span, error);
        return this.fail(batch, i, error);
      }
      if (isThenable(next)) {
        return (next as Promise<S>).then(
          (state) => {
            if (traced) endSpan(traced.span);
            this.state = state;
            this.finish(d);
            return this.process(batch, i + 1);
          },
          (error: unknown) => {
            if (traced) endSpan(traced.span, error);
            return this.fail(batch, i, error);
          },
        );
      }
      if (traced) endSpan(traced.span);
      this.state = next;
      this.finish(d);
    }
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

  private fail(batch: Delivery<M>[], index: number, error: unknown): void {
    const d = batch[index]!;
    d.attempts++;
    this.lastError = error;
    this.mode = 'suspended';
    this.hold(batch, index);
    this.parent.childFailed(this, error, d);
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

  private deadLetter(d: Delivery<M>, error: unknown, wasPending: boolean): void {
    d.failed = true;
    this.env.deadLetters.send(d as Delivery, error, this.path);
    if (wasPending) {
      this.pending--;
      this.drain?.check(this.pending);
    }
  }

  /** Publishes an event caused by the message in hand (ActorContext.publish). */
  publishCaused(topic: string, event: Envelope): void {
    const cause = this.ctx.delivery;
    // A signal starts a chain and a trace; anything else carries on the trace of the message in hand.
    const startsChain = event.correlation_id === event.id && event.causation_id !== null;
    const headers = startsChain ? startChainTrace(event) : this.publishHeaders ? { ...this.publishHeaders } : cause?.trace ? { ...cause.trace } : {};
    cause?.beginPublish();
    this.env.outbox.publish(new EventRecord(topic, event, headers), cause as Delivery | undefined);
  }
}

/** What a behaviour sees: one per cell, prototype methods only, the logger made on first use (a pino child is ~1 KB). */
class CellContext<M> implements ActorContext<M> {
  delivery: Delivery<M> = undefined as unknown as Delivery<M>;
  private readonly cell: Cell<unknown, M>;
  private readonly env: CellEnv;
  private logger: Logger | undefined;

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

  get log(): Logger {
    return (this.logger ??= this.env.log.child({ actor: this.cell.path }));
  }

  publish(topic: string, event: Envelope): void {
    this.cell.publishCaused(topic, event);
  }

  stop(): void {
    this.cell.stopRequested = true;
  }
}

import nact from 'nact';
import type { Clock } from '../clock.ts';
import type { Envelope } from '../contracts/envelope.ts';
import { EventRecord } from '../contracts/event-record.ts';
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

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';

/**
 * A supervised actor: one nact actor running a behaviour, with what nact lacks. A failing message is
 * held, not dropped: the cell suspends (holding what arrives meanwhile), reports to its supervisor and
 * resumes with that message first when restarted, or dead-letters it when told to. Messages sent to a
 * stopped cell go to the dead letters. `pending` counts every delivery not yet finished, for backpressure.
 */
export class Cell<S, M> implements ActorRef<M>, Child {
  readonly name: string;
  readonly path: string;
  readonly restartType: RestartType;
  pending = 0;
  private mode: 'running' | 'suspended' | 'stopped' = 'running';
  private state: S;
  private stash: Delivery<M>[] = [];
  private lastError: unknown;
  private terminationError: Error | undefined;
  private stopRequested = false;
  private readonly drain = new DrainWatch();
  private readonly ctx: { -readonly [K in keyof ActorContext<M>]: ActorContext<M>[K] };
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
    this.path = `${parent.path}/${options.name}`;
    this.restartType = options.restartType ?? 'permanent';
    this.behaviour = options.behaviour;
    this.state = this.behaviour.init();
    const log = env.log.child({ actor: this.path });
    // One context object per cell, its `delivery` swapped per message: no allocation on the hot path.
    this.ctx = {
      path: this.path,
      self: this,
      clock: env.clock,
      log,
      delivery: undefined as unknown as Delivery<M>,
      publish: (topic, event) => this.publish(topic, event),
      stop: () => {
        this.stopRequested = true;
      },
    };
    // Nothing reaches nact's own supervision: every throw is caught below and reported to `parent`.
    this.nactRef = nact.spawn(parentNact as never, (state: unknown, msg: unknown) => this.onMessage(msg, state), options.name, {
      onCrash: (_m: unknown, _e: unknown, ctx: { resume: unknown }) => ctx.resume,
    } as never);
  }

  private readonly behaviour: Behaviour<S, M>;

  tell(message: M): void {
    this.deliver(new Delivery(message));
  }

  deliver(delivery: Delivery<M>): void {
    if (this.mode === 'stopped') return this.deadLetter(delivery, new ActorStoppedError(this.path), false);
    this.pending++;
    nact.dispatch(this.nactRef as never, delivery);
  }

  deliverBatch(deliveries: Delivery<M>[]): void {
    if (this.mode === 'stopped') {
      for (const d of deliveries) this.deadLetter(d, new ActorStoppedError(this.path), false);
      return;
    }
    this.pending += deliveries.length;
    nact.dispatch(this.nactRef as never, deliveries);
  }

  whenBelow(threshold: number, fn: () => void): void {
    this.drain.add(threshold, fn, this.pending);
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
    if (msg instanceof Delivery) return this.settleTurn(this.process([msg as Delivery<M>], 0), nactState);
    if (Array.isArray(msg)) return this.settleTurn(this.process(msg as Delivery<M>[], 0), nactState);
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
        this.state = this.behaviour.init();
        this.mode = 'running';
        const replay = this.stash;
        this.stash = [];
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
      let next: S | Promise<S>;
      try {
        next = this.behaviour.receive(this.state, d.message, this.ctx);
      } catch (error) {
        return this.fail(batch, i, error);
      }
      if (isThenable(next)) {
        return (next as Promise<S>).then(
          (state) => {
            this.state = state;
            this.finish(d);
            return this.process(batch, i + 1);
          },
          (error: unknown) => this.fail(batch, i, error),
        );
      }
      this.state = next;
      this.finish(d);
    }
  }

  private finish(d: Delivery<M>): void {
    d.markHandled();
    this.pending--;
    this.drain.check(this.pending);
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
    for (let i = from; i < batch.length; i++) this.stash.push(batch[i]!);
  }

  /** Dead-letters what a stopped cell still holds: the failing message with its own error, the rest as undeliverable. */
  private releaseHeld(): void {
    const held = this.stash;
    this.stash = [];
    const error = this.terminationError ?? new ActorStoppedError(this.path);
    for (const d of held) this.deadLetter(d, d.attempts > 0 && this.lastError ? this.lastError : error, true);
  }

  private deadLetter(d: Delivery<M>, error: unknown, wasPending: boolean): void {
    d.failed = true;
    this.env.deadLetters.send(d as Delivery, error, this.path);
    if (wasPending) {
      this.pending--;
      this.drain.check(this.pending);
    }
  }

  private publish(topic: string, event: Envelope): void {
    const cause = this.ctx.delivery;
    const headers = cause?.trace ? { ...cause.trace } : {};
    cause?.beginPublish();
    this.env.outbox.publish(new EventRecord(topic, event, headers), cause as Delivery | undefined);
  }
}

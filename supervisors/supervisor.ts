import type { Clock, Timer } from '../src/clock.ts';
import { asError, isRetriable, RestartIntensityExceeded } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import { actorKind } from '../src/telemetry/actor-kind.ts';
import type { Probes } from '../src/telemetry/probes.ts';
import { Cell, type CellEnv, type CellOptions } from '../src/runtime/cell.ts';
import type { Delivery } from '../src/runtime/delivery.ts';
import { send, spawnReceiver, type NactParent, type NactRef } from '../src/runtime/nact.ts';
import type { Child, Parent, RestartType } from '../src/runtime/supervision.ts';
import { backoffDelay, recordFailure, type BackoffState } from './backoff.ts';
import { recordRestart } from './intensity.ts';
import type { SupervisionPolicy } from './policy.ts';

export interface SupervisorOptions {
  readonly name: string;
  readonly policy: SupervisionPolicy;
  readonly restartType?: RestartType;
  /** In [0, 1): the backoff jitter. Injected so restarts are exact in tests. */
  readonly random?: () => number;
}

export interface SupervisorEnv extends CellEnv {
  readonly clock: Clock;
  /** Where restarts are counted (the metrics), if anywhere. */
  readonly probes?: Probes;
}

type Event =
  | { readonly kind: 'failed'; readonly child: Child; readonly error: unknown; readonly delivery: Delivery | undefined }
  | { readonly kind: 'exited'; readonly child: Child }
  | { readonly kind: 'restart-due'; readonly affected: readonly Child[]; readonly failing: Child; readonly dropHead: boolean };

/**
 * A supervisor: the parent of cells and other supervisors. Failures reach it as events (in its own nact
 * mailbox, so it handles one at a time) and it decides: restart after a backoff (one_for_one,
 * one_for_all, rest_for_one), dead-letter the message that keeps failing, drop a temporary child, or,
 * past its restart intensity, stop every child and fail upward to its own parent.
 */
export class Supervisor implements Child, Parent {
  readonly name: string;
  readonly path: string;
  readonly restartType: RestartType;
  private readonly children: Child[] = [];
  private readonly backoffs = new Map<Child, BackoffState>();
  private restarts: readonly number[] = [];
  private readonly timers = new Set<Timer>();
  private stopped = false;
  /** The system is stopping: failures from here on are logged, not restarted. */
  private shuttingDown = false;
  private readonly random: () => number;
  private readonly log: Logger;
  readonly nactRef: NactRef<Event>;

  private readonly parent: Parent;
  private readonly options: SupervisorOptions;
  private readonly env: SupervisorEnv;

  constructor(parentNact: NactParent, parent: Parent, options: SupervisorOptions, env: SupervisorEnv) {
    this.parent = parent;
    this.options = options;
    this.env = env;
    this.name = options.name;
    this.path = `${parent.path}/${options.name}`;
    this.restartType = options.restartType ?? 'permanent';
    this.random = options.random ?? Math.random;
    this.log = env.log.child({ supervisor: this.path });
    this.nactRef = spawnReceiver<Event>(parentNact, options.name, this);
  }

  /** A cell under this supervisor; `env` replaces parts of the supervisor's own (the I/O actors' dead letters). */
  spawn<S, M>(options: CellOptions<S, M>, env?: Partial<CellEnv>): Cell<S, M> {
    const cell = new Cell(this.nactRef, this, options, env ? { ...this.env, ...env } : this.env);
    this.children.push(cell);
    return cell;
  }

  spawnSupervisor(options: SupervisorOptions): Supervisor {
    const sup = new Supervisor(this.nactRef, this, { random: this.random, ...options }, this.env);
    this.children.push(sup);
    return sup;
  }

  /** Removes a child for good; what it still holds or is sent goes to the dead letters. */
  remove(child: Child, error: Error): void {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    this.backoffs.delete(child);
    child.terminate(error);
    if (child instanceof Cell) child.dispose();
  }

  get childCount(): number {
    return this.children.length;
  }

  /** Its children as they are now (read only: the metrics walk them for the mailboxes). */
  get members(): readonly Child[] {
    return this.children;
  }

  childFailed(child: Child, error: unknown, delivery: Delivery | undefined): void {
    send(this.nactRef, { kind: 'failed', child, error, delivery });
  }

  childExited(child: Child): void {
    send(this.nactRef, { kind: 'exited', child });
  }

  suspend(): void {
    for (const c of this.children) c.suspend();
  }

  /** Restarted by its own parent: every child fresh, the restart history forgotten. */
  restart(): void {
    this.stopped = false;
    this.restarts = [];
    this.backoffs.clear();
    for (const c of this.children) c.restart(false);
  }

  /** No more restarts, here or below: the system is shutting down. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const c of this.children) if (c instanceof Supervisor) c.shutdown();
  }

  terminate(error: Error): void {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const c of this.children) c.terminate(error);
  }

  /** nact's hand-over (Receiver): a child's failure or exit, or a restart that fell due. */
  onMessage(event: Event): void {
    if (!this.children.includes(event.kind === 'restart-due' ? event.failing : event.child)) return;
    switch (event.kind) {
      case 'failed':
        return this.onFailure(event.child, event.error, event.delivery);
      case 'exited':
        return this.onExit(event.child);
      case 'restart-due':
        for (const c of event.affected) {
          if (!this.children.includes(c)) continue;
          c.restart(c === event.failing && event.dropHead);
          this.env.probes?.restarted(c instanceof Supervisor ? 'supervisor' : actorKind(this.name, c.name));
        }
    }
  }

  private onFailure(child: Child, error: unknown, delivery: Delivery | undefined): void {
    const err = asError(error);
    if (this.shuttingDown) {
      // What it held stays unacknowledged (uncommitted): delivered again on the next start.
      this.log.debug({ child: child.path, err }, 'child failed while shutting down; left stopped');
      return;
    }
    if (this.stopped) return child.terminate(err);
    if (child.restartType === 'temporary') {
      this.log.warn({ child: child.path, err }, 'temporary child failed; not restarted');
      return this.remove(child, err);
    }
    const now = this.env.clock.now();
    const { policy } = this.options;
    const intensity = recordRestart(this.restarts, now, policy);
    this.restarts = intensity.restarts;
    if (intensity.exceeded) return this.escalate(err);

    // A sticky message (an actor's own lifecycle command) is never dropped: the child keeps restarting with backoff.
    const dropHead = delivery !== undefined && !delivery.sticky && (!isRetriable(error) || delivery.attempts >= policy.maxAttempts);
    const backoff = recordFailure(this.backoffs.get(child), now, policy.backoff);
    this.backoffs.set(child, backoff);
    const delay = backoffDelay(policy.backoff, backoff, this.random());
    const at = this.children.indexOf(child);
    const affected =
      policy.strategy === 'one_for_one' ? [child] : policy.strategy === 'one_for_all' ? [...this.children] : this.children.slice(at);
    for (const c of affected) if (c !== child) c.suspend();
    this.log.warn({ child: child.path, err, attempts: delivery?.attempts, delayMs: delay, dropHead, strategy: policy.strategy }, 'child failed; restarting');
    const timer = this.env.clock.schedule(delay, () => {
      this.timers.delete(timer);
      send(this.nactRef, { kind: 'restart-due', affected, failing: child, dropHead });
    });
    this.timers.add(timer);
  }

  private onExit(child: Child): void {
    if (child.restartType === 'permanent') return child.restart(false);
    this.remove(child, new Error(`${child.path} exited normally`));
  }

  private escalate(cause: Error): void {
    const { maxRestarts, withinMs } = this.options.policy;
    const error = new RestartIntensityExceeded(this.path, maxRestarts, withinMs, cause);
    this.log.error({ err: error }, 'restart intensity exceeded; stopping children and escalating');
    this.terminate(error);
    this.parent.childFailed(this, error, undefined);
  }
}

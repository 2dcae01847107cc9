import type { StrategyStart } from '../../actors/strategy.ts';
import { partitionOf } from '../bus/partition.ts';
import type { StrategyChanged } from '../contracts/events.ts';
import type { StrategyRecord } from '../db/strategy-store.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { StrategyInstance, StrategySpec } from '../strategies/config.ts';
import type { StrategyLedger } from '../strategies/ledger.ts';

/** Where the strategies are configured: the database, or (without one) the YAML file. */
export interface StrategySource {
  all(): Promise<readonly StrategyRecord[]>;
  /** The runnable instance of a spec; by default the registry's strategy of its type. */
  instance?(spec: StrategySpec): StrategyInstance;
}

/** Instances made in code (tests, benchmarks, strategies outside the registry), as a source that never changes. */
export function instancesSource(instances: readonly StrategyInstance[]): StrategySource {
  const byId = new Map(instances.map((i) => [i.id, i]));
  const at = new Date(0);
  const records = instances.map((i) => ({ id: i.id, type: i.strategy.name, instruments: i.instruments, params: (i.params ?? {}) as Record<string, unknown>, active: true, live: i.live, version: 1, createdAt: at, updatedAt: at, removed: false }));
  return {
    all: async () => records,
    instance: (spec) => {
      const i = byId.get(spec.id);
      if (!i) throw new Error(`no instance for strategy '${spec.id}'`);
      return i;
    },
  };
}

/** The YAML file's strategies, as a source that never changes. */
export function fileSource(specs: readonly StrategySpec[]): StrategySource {
  const at = new Date(0);
  const records = specs.map((s) => ({ ...s, version: 1, createdAt: at, updatedAt: at, removed: false }));
  return { all: async () => records };
}

/**
 * What the host holds of a running strategy: its instance, and its state where this thread has it (a
 * strategy in a worker thread keeps its state there, and a reconfiguration that carries it is done there).
 */
export interface HostedStrategy {
  readonly instance: StrategyInstance;
  readonly current: { readonly strategy: unknown } | undefined;
}

export interface HostHooks {
  spawn(spec: StrategySpec, start: StrategyStart): HostedStrategy;
  stop(id: string): void;
  /** Strategies spawned to take over running ones (a start, a move): to be warmed up, then released. */
  warm(strategies: readonly HostedStrategy[]): void;
  /** An assignment has been applied: what it owns runs, or is warming up and holds what it is given. */
  assigned?(): void;
  ledgerOf(id: string): StrategyLedger;
  readonly log: Logger;
}

interface Running {
  readonly spec: StrategySpec;
  readonly version: number;
  readonly behaviour: HostedStrategy;
}

const sameShape = (a: StrategySpec, b: StrategySpec) => a.type === b.type && a.instruments.length === b.instruments.length && a.instruments.every((t, i) => t === b.instruments[i]);

/**
 * Which strategies run on this instance, and at which configuration. A strategy belongs to the partition
 * of the control topic its id is keyed to, and runs on the instance the group assigned that partition:
 * each runs on exactly one instance, and moves to a survivor when its instance dies (the group gives the
 * partition to another member). Changes come as `strategy_changed` events on that partition and apply
 * when newer than what runs: spawn, reconfigure (state carried when type and instruments are the same),
 * or stop. Work is done one step at a time, in order.
 */
export class StrategyHost {
  private owned = new Set<number>();
  private readonly running = new Map<string, Running>();
  /** The newest version seen per strategy: an older announcement read again changes nothing. */
  private readonly versions = new Map<string, number>();
  private queue: Promise<void> = Promise.resolve();
  private readonly partitions: number;
  private readonly source: StrategySource;
  private readonly hooks: HostHooks;
  /** Set once the first assignment has been applied. */
  assignedOnce = false;
  /** Assignments received: a step for an older one than the latest does nothing. */
  private assignments = 0;

  constructor(partitions: number, source: StrategySource, hooks: HostHooks) {
    this.partitions = partitions;
    this.source = source;
    this.hooks = hooks;
  }

  owns(id: string): boolean {
    return this.owned.has(partitionOf(id, this.partitions));
  }

  get ids(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when every step asked for so far is done. */
  idle(): Promise<void> {
    return this.queue;
  }

  private step(what: string, work: () => Promise<void> | void): Promise<void> {
    this.queue = this.queue.then(work).catch((e: unknown) => this.hooks.log.error({ err: asError(e) }, `strategy host: ${what} failed`));
    return this.queue;
  }

  /**
   * The group's assignment changed: run what is now owned (warmed up first), stop what is not. What
   * this instance no longer owns stops at once, before anything is awaited: the instance it moves to
   * may start it as soon as it has its own assignment, and a strategy must not run in two places.
   */
  assign(partitions: readonly number[]): Promise<void> {
    this.owned = new Set(partitions);
    const generation = ++this.assignments;
    for (const id of [...this.running.keys()]) if (!this.owns(id)) this.stopOne(id, 'its partition moved to another instance');
    return this.step('applying an assignment', async () => {
      // A newer assignment came while this one waited its turn: that one's step does the work.
      if (generation !== this.assignments) return;
      const records = await this.source.all();
      if (generation !== this.assignments) return;
      const warm: HostedStrategy[] = [];
      for (const r of records) {
        this.versions.set(r.id, Math.max(this.versions.get(r.id) ?? 0, r.version));
        const b = this.reconcile(r.id, r.version, r.removed ? null : r, true);
        if (b) warm.push(b);
      }
      for (const id of [...this.running.keys()]) if (!this.owns(id)) this.stopOne(id, 'its partition moved to another instance');
      this.assignedOnce = true;
      this.hooks.log.info({ partitions: [...this.owned].sort((a, b) => a - b), strategies: this.running.size, taken: warm.length }, 'strategies assigned to this instance');
      if (warm.length > 0) this.hooks.warm(warm);
      this.hooks.assigned?.();
    });
  }

  /** A strategy changed (the control topic): applied if it is newer than what this instance knows. */
  apply(e: StrategyChanged): Promise<void> {
    return this.step(`applying a change to ${e.strategy_id}`, () => {
      if ((this.versions.get(e.strategy_id) ?? 0) >= e.version) return;
      this.versions.set(e.strategy_id, e.version);
      const spec = e.config ? { id: e.strategy_id, ...e.config } : null;
      this.reconcile(e.strategy_id, e.version, spec, false);
      this.hooks.log.info({ strategy: e.strategy_id, change: e.change, version: e.version, runsHere: this.running.has(e.strategy_id) }, 'strategy change applied');
    });
  }

  /**
   * Makes one strategy what `spec` says (null: removed). Returns a strategy spawned to be warmed up
   * (`warm`: it is taking over from a stopped instance, not starting new).
   */
  private reconcile(id: string, version: number, spec: StrategySpec | null, warm: boolean): HostedStrategy | undefined {
    const desired = spec !== null && spec.active && this.owns(id);
    const now = this.running.get(id);
    if (!desired) {
      if (now) this.stopOne(id, spec === null ? 'removed' : spec.active ? 'its partition moved to another instance' : 'disabled');
      return undefined;
    }
    if (now && now.version >= version) return undefined;
    try {
      let start: StrategyStart = { warming: warm };
      if (now) {
        // A reconfiguration: the strategy keeps its state where its shape allows, and is not warmed again.
        const carried = sameShape(now.spec, spec) ? now.behaviour.current?.strategy : undefined;
        start = carried === undefined ? {} : { carried };
        this.hooks.stop(id);
        this.running.delete(id);
      }
      const behaviour = this.hooks.spawn(spec, start);
      this.running.set(id, { spec, version, behaviour });
      return start.warming ? behaviour : undefined;
    } catch (e) {
      this.hooks.log.error({ err: asError(e), strategy: id, version }, 'strategy could not be started: it stays stopped until it is changed');
      return undefined;
    }
  }

  private stopOne(id: string, why: string): void {
    this.hooks.stop(id);
    this.running.delete(id);
    const open = why.includes('partition') ? [] : this.hooks.ledgerOf(id).positions();
    if (open.length > 0) this.hooks.log.warn({ strategy: id, why, open: open.map(([instrument, quantity]) => ({ instrument, quantity })) }, 'strategy stopped holding positions: nothing closes them for it here');
    else this.hooks.log.info({ strategy: id, why }, 'strategy stopped');
  }
}

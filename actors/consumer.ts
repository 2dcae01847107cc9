import type { InBatch, InRecord, Subscription, TopicPartition, Transport } from '../src/bus/transport.ts';
import type { Clock, Timer } from '../src/clock.ts';
import { decode, expectedTypeOf, type Decoded } from '../src/contracts/codec.ts';
import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import { asError, TransportError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import type { ActorContext, ActorRef, Behaviour } from '../src/runtime/actor-ref.ts';
import { Delivery, type Ack } from '../src/runtime/delivery.ts';
import { OffsetTracker } from '../src/runtime/offset-tracker.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';
import { traceHeaders } from '../src/telemetry/trace-context.ts';

/**
 * Which actors handle an event: one, several (a tick goes to its price cache and to every strategy that
 * trades the instrument), or none here (it is acknowledged, not lost).
 */
export type Route = (event: AnyEnvelope, record: InRecord) => ActorRef<AnyEnvelope> | readonly ActorRef<AnyEnvelope>[] | undefined;

/** Records a consumer skips without decoding (another instance's instruments): cheap, on the key. */
export type KeyFilter = (key: string | null) => boolean;

export interface ConsumerOptions {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  /**
   * Where partitions with no committed offset start instead (see SubscribeOptions.startAt). A committing
   * group that starts at the end gets the end of each topic as read before it subscribes: committed at
   * its first join, so a signal published after that is never skipped by a member that takes the
   * partition over before anything was committed there.
   */
  readonly startAt?: ReadonlyMap<string, ReadonlyMap<number, bigint>>;
  readonly route: Route;
  readonly accept?: KeyFilter;
  /** false: nothing is ever committed, so each start reads from `fromBeginning`'s end again (state rebuilt from the log). */
  readonly commits?: boolean;
  /** Told the partitions this member owns after every (re)balance. */
  readonly onAssignment?: (partitions: readonly TopicPartition[]) => void;
  /** Mailbox bound: a partition pauses before a target actor would hold more than this many messages. */
  readonly mailboxBound: number;
  /** ...and resumes once that actor is down to this many. */
  readonly mailboxLowWater: number;
  /** Producer backlog at which every partition pauses (outputs are not confirmed fast enough). */
  readonly outboxBound: number;
  readonly commitIntervalMs: number;
}

export interface ConsumerEnv {
  readonly transport: Transport;
  readonly deadLetters: DeadLetters;
  readonly outbox: Outbox;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * The cell's own mailbox carries its lifecycle: commits, the clean stop, and a crash of the subscription
 * (which fails the cell, for its supervisor to restart). Batches and assignments are handled in the
 * subscription's callbacks directly (see preStart), not through the mailbox.
 */
export type ConsumerMessage =
  | { readonly kind: 'crashed'; readonly generation: number; readonly error: Error }
  | { readonly kind: 'commit' }
  | { readonly kind: 'stop'; readonly drainMs: number; readonly reply: () => void };

interface ConsumerState {
  subscription: Subscription | undefined;
  generation: number;
  trackers: Map<string, OffsetTracker>;
  assigned: readonly TopicPartition[];
  paused: Set<string>;
  commitTimer: Timer | undefined;
}

export interface ConsumerStats {
  received: number;
  deadLettered: number;
  pauses: number;
  /** Commit intervals elapsed, and commits that moved an offset. */
  commitTicks: number;
  commits: number;
}

/**
 * An event that never left this process (in-process bus) is taken as it is: it was made by createEvent
 * from validated inputs. One that is on the wrong topic still goes through decode, which says so.
 */
function fromProcess(record: InRecord, topic: string): Decoded | undefined {
  const event = record.event as AnyEnvelope | undefined;
  if (event === undefined) return undefined;
  const expected = expectedTypeOf(topic);
  return expected === undefined || expected === event.type ? { ok: true, event } : undefined;
}

/** Settles a record handed to several actors once every one of them has finished with it. */
class FanOut implements Ack {
  private remaining: number;
  private readonly whole: Delivery;

  constructor(whole: Delivery, parts: number) {
    this.whole = whole;
    this.remaining = parts;
  }

  done(): void {
    if (--this.remaining === 0) this.whole.settle();
  }
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Adds a delivery to its target's batch. */
function add(groups: Map<ActorRef<AnyEnvelope>, Delivery<AnyEnvelope>[]>, target: ActorRef<AnyEnvelope>, d: Delivery<AnyEnvelope>): void {
  const group = groups.get(target);
  if (group) group.push(d);
  else groups.set(target, [d]);
}

/**
 * The consumer actor: a supervised cell holding one consumer-group subscription. It decodes each
 * record, dead-letters what does not decode, and hands the rest, batched per target actor, to the actor
 * its route names. Offsets are committed only up to the first message not yet finished (processed with
 * its outputs confirmed, or dead-lettered). A partition pauses while its target's mailbox is at the
 * bound, and resumes when the mailbox drains. When the subscription crashes (or this code throws), the
 * cell fails; its supervisor restarts it after a backoff, and the new subscription resumes from the
 * committed offsets: what was handed out and not committed is delivered again (at-least-once).
 */
export class ConsumerBehaviour implements Behaviour<ConsumerState, ConsumerMessage> {
  /** Survives restarts, so a message from an old subscription is never mistaken for the new one's. */
  private generation = 0;
  /** Set by a stop, at once: a subscription still connecting is dropped instead of used. */
  stopping = false;
  private current: ConsumerState | undefined;
  readonly stats: ConsumerStats = { received: 0, deadLettered: 0, pauses: 0, commitTicks: 0, commits: 0 };
  private self: ActorRef<ConsumerMessage> | undefined;
  private path = '';
  /** The next offset to hand out, per partition: everything below it has gone to the actors. */
  private readonly routed = new Map<string, bigint>();
  readonly options: ConsumerOptions;
  private readonly env: ConsumerEnv;

  constructor(options: ConsumerOptions, env: ConsumerEnv) {
    this.options = options;
    this.env = env;
  }

  init(): ConsumerState {
    return (this.current = { subscription: undefined, generation: 0, trackers: new Map(), assigned: [], paused: new Set(), commitTimer: undefined });
  }

  async preStart(state: ConsumerState, ctx: ActorContext<ConsumerMessage>): Promise<ConsumerState> {
    if (this.stopping) return state;
    const sub = await this.subscribe(state, ctx);
    if (this.stopping) {
      // Stopped while connecting: leave at once; what it fetched meanwhile was not taken.
      await sub.stop().catch(() => undefined);
      return state;
    }
    state.subscription = sub;
    this.scheduleCommit(state);
    return state;
  }

  /**
   * Batches and assignments are handled here, in the subscription's callbacks, not as messages to this
   * cell: a batch through the mailbox would wait a full scheduler round behind every busy actor, and the
   * broker client fetches the next batch only once this one is answered. What the callbacks touch is
   * this subscription's own state, guarded by its generation; a throw becomes a crash message, so the
   * supervisor still decides.
   */
  private async subscribe(state: ConsumerState, ctx: ActorContext<ConsumerMessage>): Promise<Subscription> {
    this.self = ctx.self;
    this.path = ctx.path;
    const generation = ++this.generation;
    state.generation = generation;
    const live = () => generation === this.generation && !this.stopping;
    const startAt = await this.startAt();
    return this.env.transport.subscribe({
      groupId: this.options.groupId,
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning,
      ...(startAt ? { startAt } : {}),
      onBatch: async (batch) => {
        // Not subscribed yet (the client fetched before subscribe returned): nothing taken, fetched again.
        if (!live() || !state.subscription) return 0;
        try {
          return this.take(state, batch);
        } catch (e) {
          this.tellSticky({ kind: 'crashed', generation, error: asError(e) });
          return 0;
        }
      },
      onAssignment: (partitions) => {
        if (generation !== this.generation) return;
        // After a rebalance the group restarts each partition from its committed offset: in-flight acks are void.
        state.assigned = partitions;
        for (const t of state.trackers.values()) t.revoked = true;
        state.trackers = new Map();
        state.paused.clear();
        this.options.onAssignment?.(partitions);
      },
      onCrash: (error) => this.tellSticky({ kind: 'crashed', generation, error }),
    });
  }

  /** The options' startAt; for a committing group that starts at the end, the ends of its topics now. */
  private async startAt(): Promise<ReadonlyMap<string, ReadonlyMap<number, bigint>> | undefined> {
    const { startAt, commits, fromBeginning, topics } = this.options;
    if (startAt || commits === false || fromBeginning) return startAt;
    return new Map(await Promise.all(topics.map(async (t) => [t, await this.env.transport.endOffsets(t)] as const)));
  }

  async postStop(state: ConsumerState): Promise<void> {
    state.commitTimer?.cancel();
    state.commitTimer = undefined;
    const sub = state.subscription;
    state.subscription = undefined;
    for (const t of state.trackers.values()) t.revoked = true;
    await sub?.stop().catch((e: unknown) => this.env.log.warn({ err: asError(e), consumer: this.options.name }, 'old subscription did not stop cleanly'));
  }

  async receive(state: ConsumerState, m: ConsumerMessage): Promise<ConsumerState> {
    switch (m.kind) {
      case 'crashed':
        // Fails the cell: its supervisor restarts it (a new subscription from the committed offsets).
        if (m.generation === state.generation && state.subscription && !this.stopping) throw m.error;
        return state;
      case 'commit':
        this.stats.commitTicks++;
        await this.commit(state);
        if (state.subscription && !this.stopping) this.scheduleCommit(state);
        return state;
      case 'stop':
        await this.drainAndLeave(state, m.drainMs);
        m.reply();
        return state;
    }
  }

  /** Its own commands must never be dropped to the dead letters: the cell retries them after a restart. */
  private tellSticky(m: ConsumerMessage): void {
    const d = new Delivery<ConsumerMessage>(m);
    d.sticky = true;
    this.self?.deliver(d);
  }

  get assignment(): readonly TopicPartition[] {
    return this.current?.assigned ?? [];
  }

  get subscribed(): boolean {
    return this.current?.subscription !== undefined;
  }

  /** What a crash of the current subscription looks like to this cell (tests and fault drills). */
  crashed(error: Error): ConsumerMessage {
    return { kind: 'crashed', generation: this.generation, error };
  }

  /** The next offset this consumer will hand out of `topic`, per partition it has handed records of. */
  routedUpTo(topic: string): Map<number, bigint> {
    const out = new Map<number, bigint>();
    for (const [k, v] of this.routed) {
      const [t, p] = k.split('\u0000');
      if (t === topic) out.set(Number(p), v);
    }
    return out;
  }

  get inFlight(): number {
    let n = 0;
    for (const t of this.current?.trackers.values() ?? []) n += t.inFlight;
    return n;
  }

  /** Stop fetching, wait for what is in hand to finish (up to `drainMs`), commit, leave the group. */
  private async drainAndLeave(state: ConsumerState, drainMs: number): Promise<void> {
    const sub = state.subscription;
    if (!sub) return;
    for (const tp of state.assigned) sub.pause(tp.topic, tp.partition);
    const deadline = Date.now() + drainMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await this.commit(state);
    await this.postStop(state);
  }

  private take(state: ConsumerState, batch: InBatch): number {
    const { topic, partition, records } = batch;
    const tracker = this.tracker(state, topic, partition);
    const groups = new Map<ActorRef<AnyEnvelope>, Delivery<AnyEnvelope>[]>();
    const { mailboxBound, groupId, accept } = this.options;
    let taken = 0;
    let full: ActorRef<AnyEnvelope> | undefined;
    if (this.env.outbox.backlog >= this.options.outboxBound) {
      this.pauseUntil(state, topic, partition, this.env.outbox, this.options.outboxBound >> 1);
      return 0;
    }
    for (const record of records) {
      const origin = { record, groupId };
      if (accept && !accept(record.key)) {
        const skipped = new Delivery<unknown>(undefined, origin, tracker);
        tracker.track(skipped);
        skipped.settle();
        taken++;
        continue;
      }
      const decoded = fromProcess(record, topic) ?? decode(record.value, topic);
      if (!decoded.ok) {
        const d = new Delivery<unknown>(record.value, origin, tracker);
        d.attempts = 1;
        tracker.track(d);
        this.env.deadLetters.send(d, decoded.error, this.path);
        this.stats.deadLettered++;
        taken++;
        continue;
      }
      const routed = this.options.route(decoded.event, record);
      // One target (most events) is handled without an array; several share one settlement (FanOut).
      const many = Array.isArray(routed) ? (routed as readonly ActorRef<AnyEnvelope>[]) : undefined;
      const one = many ? undefined : (routed as ActorRef<AnyEnvelope> | undefined);
      if (one && one.pending + (groups.get(one)?.length ?? 0) >= mailboxBound) full = one;
      if (many) {
        for (const target of many) {
          if (target.pending + (groups.get(target)?.length ?? 0) >= mailboxBound) {
            full = target;
            break;
          }
        }
      }
      if (full) break;
      const trace = traceHeaders(record.headers);
      const whole = new Delivery<AnyEnvelope>(decoded.event, origin, tracker, trace);
      tracker.track(whole);
      if (one) add(groups, one, whole);
      else if (!many || many.length === 0) whole.settle();
      else if (many.length === 1) add(groups, many[0]!, whole);
      else {
        const fan = new FanOut(whole, many.length);
        for (const target of many) add(groups, target, new Delivery<AnyEnvelope>(decoded.event, origin, fan, trace));
      }
      taken++;
    }
    this.stats.received += taken;
    if (taken > 0) this.routed.set(tpKey(topic, partition), BigInt(records[taken - 1]!.offset) + 1n);
    for (const [target, deliveries] of groups) target.deliverBatch(deliveries);
    // Only after dispatching: the drain watch must see the mailbox including what was just handed over.
    if (full) this.pauseUntil(state, topic, partition, full, this.options.mailboxLowWater);
    return taken;
  }

  private tracker(state: ConsumerState, topic: string, partition: number): OffsetTracker {
    const key = tpKey(topic, partition);
    let t = state.trackers.get(key);
    if (!t) state.trackers.set(key, (t = new OffsetTracker(topic, partition)));
    return t;
  }

  private pauseUntil(state: ConsumerState, topic: string, partition: number, target: { whenBelow(n: number, fn: () => void): void }, threshold: number): void {
    const key = tpKey(topic, partition);
    if (state.paused.has(key)) return;
    state.paused.add(key);
    state.subscription?.pause(topic, partition);
    this.stats.pauses++;
    const generation = state.generation;
    target.whenBelow(threshold, () => {
      if (generation !== this.generation || !state.paused.delete(key) || this.stopping) return;
      state.subscription?.resume(topic, partition);
    });
  }

  private scheduleCommit(state: ConsumerState): void {
    state.commitTimer = this.env.clock.schedule(this.options.commitIntervalMs, () => this.tellSticky({ kind: 'commit' }));
  }

  /** Commits every partition whose committable offset moved. */
  private async commit(state: ConsumerState): Promise<void> {
    const sub = state.subscription;
    if (!sub || this.options.commits === false) return;
    const offsets: Array<{ topic: string; partition: number; offset: string; tracker: OffsetTracker }> = [];
    for (const t of state.trackers.values()) {
      const offset = t.takeCommit();
      if (offset !== undefined) offsets.push({ topic: t.topic, partition: t.partition, offset, tracker: t });
    }
    if (offsets.length === 0) return;
    try {
      await sub.commit(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
      this.stats.commits++;
    } catch (e) {
      for (const o of offsets) o.tracker.commitFailed(o.offset);
      this.env.log.warn({ err: asError(e), consumer: this.options.name }, 'offset commit failed; will retry');
    }
  }
}

/** What the pipeline holds of a consumer cell: its stats and assignment, and a clean stop. */
export class ConsumerActor {
  readonly behaviour: ConsumerBehaviour;
  readonly name: string;
  private readonly cell: ActorRef<ConsumerMessage> & { readonly isStopped: boolean };

  constructor(behaviour: ConsumerBehaviour, cell: ActorRef<ConsumerMessage> & { readonly isStopped: boolean }) {
    this.behaviour = behaviour;
    this.cell = cell;
    this.name = behaviour.options.name;
  }

  get stats(): ConsumerStats {
    return this.behaviour.stats;
  }

  get assignment(): readonly TopicPartition[] {
    return this.behaviour.assignment;
  }

  /** Stop fetching, drain, commit, leave the group: resolves when done, or at once for a stopped cell. */
  stop(drainMs = 10_000): Promise<void> {
    if (this.cell.isStopped) return Promise.resolve();
    // Seen at once, even while the cell is still connecting (its stop command waits behind that).
    this.behaviour.stopping = true;
    // Not subscribed yet (connecting, or failing to): nothing to drain or commit.
    if (!this.behaviour.subscribed) return Promise.resolve();
    return new Promise((resolve) => {
      const d = new Delivery<ConsumerMessage>({ kind: 'stop', drainMs, reply: resolve });
      d.sticky = true;
      this.cell.deliver(d);
      if (this.cell.isStopped) resolve();
    });
  }

  /** Fails the cell as a crashed subscription would (tests and fault drills). */
  crash(error: Error = new TransportError(`${this.name}: subscription crashed`)): void {
    const d = new Delivery<ConsumerMessage>(this.behaviour.crashed(error));
    d.sticky = true;
    this.cell.deliver(d);
  }
}

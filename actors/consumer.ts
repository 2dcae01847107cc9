import type { InBatch, InRecord, Subscription, TopicPartition, Transport } from '../src/bus/transport.ts';
import type { Clock, Timer } from '../src/clock.ts';
import { decode, expectedTypeOf, type Decoded } from '../src/contracts/codec.ts';
import type { AnyEnvelope } from '../src/contracts/envelope.ts';
import { asError } from '../src/errors.ts';
import type { Logger } from '../src/log.ts';
import type { ActorRef } from '../src/runtime/actor-ref.ts';
import { Delivery, type Ack } from '../src/runtime/delivery.ts';
import { OffsetTracker } from '../src/runtime/offset-tracker.ts';
import type { DeadLetters, Outbox } from '../src/runtime/outbox.ts';
import { traceHeaders } from '../src/telemetry/trace-context.ts';
import type { Child, Parent } from '../supervisors/child.ts';

/**
 * Which actors handle an event: one, several (a tick goes to its price cache and to every strategy that
 * trades the instrument), or none here (it is acknowledged, not lost).
 */
export type Route = (event: AnyEnvelope, record: InRecord) => ActorRef<AnyEnvelope> | readonly ActorRef<AnyEnvelope>[] | undefined;

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

export interface ConsumerOptions {
  readonly name: string;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly route: Route;
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

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * A consumer actor: subscribes a consumer group, decodes each record, dead-letters what does not
 * decode, and hands the rest, batched per target actor, to the actor its route names. Offsets are
 * committed only up to the first message not yet finished (processed with its outputs confirmed, or
 * dead-lettered). A partition pauses while its target's mailbox is at the bound, and resumes when the
 * mailbox drains. Its supervisor restarts it when the subscription crashes.
 */
export class ConsumerActor implements Child {
  readonly name: string;
  readonly path: string;
  readonly restartType = 'permanent' as const;
  private subscription: Subscription | undefined;
  private trackers = new Map<string, OffsetTracker>();
  private assigned: readonly TopicPartition[] = [];
  private readonly paused = new Set<string>();
  private commitTimer: Timer | undefined;
  private generation = 0;
  private stopping = false;
  readonly stats = { received: 0, deadLettered: 0, pauses: 0 };

  private readonly parent: Parent;
  private readonly options: ConsumerOptions;
  private readonly env: ConsumerEnv;

  constructor(
    parent: Parent,
    options: ConsumerOptions,
    env: ConsumerEnv,
  ) {
    this.parent = parent;
    this.options = options;
    this.env = env;
    this.name = options.name;
    this.path = `${parent.path}/${options.name}`;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const generation = ++this.generation;
    this.subscription = await this.env.transport.subscribe({
      groupId: this.options.groupId,
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning,
      onBatch: (batch) => this.onBatch(batch),
      onAssignment: (partitions) => this.onAssignment(partitions),
      onCrash: (error) => {
        if (generation === this.generation && !this.stopping) this.parent.childFailed(this, error, undefined);
      },
    });
    this.scheduleCommit();
  }

  /** Stop fetching, wait for what is in hand to finish (up to `drainMs`), commit, leave the group. */
  async stop(drainMs = 10_000): Promise<void> {
    this.stopping = true;
    const sub = this.subscription;
    if (!sub) return;
    for (const tp of this.assigned) sub.pause(tp.topic, tp.partition);
    const deadline = Date.now() + drainMs;
    while (this.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await this.commit();
    this.commitTimer?.cancel();
    this.subscription = undefined;
    await sub.stop();
  }

  get assignment(): readonly TopicPartition[] {
    return this.assigned;
  }

  inFlight(): number {
    let n = 0;
    for (const t of this.trackers.values()) n += t.inFlight;
    return n;
  }

  suspend(): void {
    for (const tp of this.assigned) this.pause(tp.topic, tp.partition);
  }

  restart(): void {
    const old = this.subscription;
    this.subscription = undefined;
    this.commitTimer?.cancel();
    void (async () => {
      await old?.stop().catch((e: unknown) => this.env.log.warn({ err: e }, 'old subscription did not stop cleanly'));
      this.resetTrackers();
      await this.start();
    })().catch((e: unknown) => this.parent.childFailed(this, e, undefined));
  }

  terminate(error: Error): void {
    this.env.log.error({ err: error, consumer: this.path }, 'consumer terminated');
    void this.stop().catch(() => undefined);
  }

  private onAssignment(partitions: readonly TopicPartition[]): void {
    // After a rebalance the group restarts each partition from its committed offset: in-flight acks are void.
    this.assigned = partitions;
    this.resetTrackers();
    this.paused.clear();
  }

  private resetTrackers(): void {
    for (const t of this.trackers.values()) t.revoked = true;
    this.trackers = new Map();
  }

  private tracker(topic: string, partition: number): OffsetTracker {
    const key = tpKey(topic, partition);
    let t = this.trackers.get(key);
    if (!t) this.trackers.set(key, (t = new OffsetTracker(topic, partition)));
    return t;
  }

  private async onBatch(batch: InBatch): Promise<number> {
    const { topic, partition, records } = batch;
    const tracker = this.tracker(topic, partition);
    const groups = new Map<ActorRef<AnyEnvelope>, Delivery<AnyEnvelope>[]>();
    const { mailboxBound, groupId } = this.options;
    let taken = 0;
    let full: ActorRef<AnyEnvelope> | undefined;
    if (this.env.outbox.backlog >= this.options.outboxBound) {
      this.pauseUntil(topic, partition, this.env.outbox, this.options.outboxBound >> 1);
      return 0;
    }
    for (const record of records) {
      const decoded = fromProcess(record, topic) ?? decode(record.value, topic);
      const origin = { record, groupId };
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
      const targets: readonly ActorRef<AnyEnvelope>[] = routed === undefined ? [] : Array.isArray(routed) ? routed : [routed as ActorRef<AnyEnvelope>];
      for (const target of targets) {
        if (target.pending + (groups.get(target)?.length ?? 0) >= mailboxBound) {
          full = target;
          break;
        }
      }
      if (full) break;
      const trace = traceHeaders(record.headers);
      const whole = new Delivery<AnyEnvelope>(decoded.event, origin, tracker, trace);
      tracker.track(whole);
      if (targets.length === 0) whole.settle();
      const fan = targets.length > 1 ? new FanOut(whole, targets.length) : undefined;
      for (const target of targets) {
        const d = fan ? new Delivery<AnyEnvelope>(decoded.event, origin, fan, trace) : whole;
        const group = groups.get(target);
        if (group) group.push(d);
        else groups.set(target, [d]);
      }
      taken++;
    }
    this.stats.received += taken;
    for (const [target, deliveries] of groups) target.deliverBatch(deliveries);
    // Only after dispatching: the drain watch must see the mailbox including what was just handed over.
    if (full) this.pauseUntil(topic, partition, full, this.options.mailboxLowWater);
    return taken;
  }

  private pauseUntil(topic: string, partition: number, target: { whenBelow(n: number, fn: () => void): void }, threshold: number): void {
    if (!this.pause(topic, partition)) return;
    this.stats.pauses++;
    const generation = this.generation;
    target.whenBelow(threshold, () => {
      const key = tpKey(topic, partition);
      if (generation !== this.generation || !this.paused.delete(key) || this.stopping) return;
      this.subscription?.resume(topic, partition);
    });
  }

  private pause(topic: string, partition: number): boolean {
    const key = tpKey(topic, partition);
    if (this.paused.has(key)) return false;
    this.paused.add(key);
    this.subscription?.pause(topic, partition);
    return true;
  }

  private scheduleCommit(): void {
    this.commitTimer = this.env.clock.schedule(this.options.commitIntervalMs, () => {
      void this.commit().finally(() => {
        if (this.subscription && !this.stopping) this.scheduleCommit();
      });
    });
  }

  /** Commits every partition whose committable offset moved. */
  async commit(): Promise<void> {
    const sub = this.subscription;
    if (!sub) return;
    const offsets: Array<{ topic: string; partition: number; offset: string; tracker: OffsetTracker }> = [];
    for (const t of this.trackers.values()) {
      const offset = t.takeCommit();
      if (offset !== undefined) offsets.push({ topic: t.topic, partition: t.partition, offset, tracker: t });
    }
    if (offsets.length === 0) return;
    try {
      await sub.commit(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    } catch (e) {
      for (const o of offsets) o.tracker.commitFailed(o.offset);
      this.env.log.warn({ err: asError(e), consumer: this.path }, 'offset commit failed; will retry');
    }
  }
}

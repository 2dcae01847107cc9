import type { SubscribeOptions, TopicPartition } from '../transport.ts';
import type { MemoryPartition } from './memory-partition.ts';

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** One member of a group: owns some partitions, hands their records to onBatch one batch at a time. */
export class MemoryMember {
  active = true;
  assigned: TopicPartition[] = [];
  private positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private pumping = false;
  private scheduled = false;
  private generation = 0;
  private cursor = 0;

  readonly options: SubscribeOptions;
  private readonly group: MemoryGroup;

  constructor(
    options: SubscribeOptions,
    group: MemoryGroup,
  ) {
    this.options = options;
    this.group = group;
  }

  assign(partitions: TopicPartition[], startOf: (tp: TopicPartition) => number): void {
    this.generation++;
    this.assigned = partitions;
    this.positions = new Map(partitions.map((tp) => [key(tp.topic, tp.partition), startOf(tp)]));
    this.paused.clear();
    this.options.onAssignment(partitions);
    this.wake();
  }

  /** Nothing left to hand out: not pumping, and every owned partition read to its end. */
  get caughtUp(): boolean {
    if (!this.active) return true;
    if (this.pumping || this.scheduled) return false;
    for (const tp of this.assigned) {
      const part = this.group.partitionsOf(tp.topic)[tp.partition]!;
      if ((this.positions.get(key(tp.topic, tp.partition)) ?? part.start) < part.end) return false;
    }
    return true;
  }

  owns(topic: string): boolean {
    return this.assigned.some((tp) => tp.topic === topic);
  }

  pause(topic: string, partition: number): void {
    this.paused.add(key(topic, partition));
  }

  resume(topic: string, partition: number): void {
    if (this.paused.delete(key(topic, partition))) this.wake();
  }

  wake(): void {
    if (this.scheduled || this.pumping || !this.active) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** Delivers batches until no owned, unpaused partition has records left. Yields between batches. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!this.active) return;
        const next = this.nextReady();
        if (!next) return;
        const { tp, part, position } = next;
        const records = part.records(position, this.group.maxBatch);
        const generation = this.generation;
        const taken = await this.options.onBatch({ topic: tp.topic, partition: tp.partition, records });
        if (generation === this.generation) this.positions.set(key(tp.topic, tp.partition), Math.max(position, part.start) + taken);
        await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.active = false;
      this.group.leave(this);
      this.options.onCrash(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.pumping = false;
    }
  }

  private nextReady(): { tp: TopicPartition; part: MemoryPartition; position: number } | undefined {
    const n = this.assigned.length;
    for (let i = 0; i < n; i++) {
      const tp = this.assigned[(this.cursor + i) % n]!;
      const k = key(tp.topic, tp.partition);
      if (this.paused.has(k)) continue;
      const part = this.group.partitionsOf(tp.topic)[tp.partition]!;
      const position = this.positions.get(k) ?? part.start;
      if (position < part.end) {
        this.cursor = (this.cursor + i + 1) % n;
        return { tp, part, position };
      }
    }
    return undefined;
  }
}

/** A consumer group: partitions split round-robin among members; committed offsets survive members. */
export class MemoryGroup {
  private readonly members: MemoryMember[] = [];
  private readonly committed = new Map<string, number>();
  /** Every topic this group has subscribed to: its commits hold back truncation of those topics. */
  readonly topics = new Set<string>();

  readonly id: string;
  readonly maxBatch: number;
  readonly partitionsOf: (topic: string) => MemoryPartition[];

  constructor(id: string, maxBatch: number, partitionsOf: (topic: string) => MemoryPartition[]) {
    this.id = id;
    this.maxBatch = maxBatch;
    this.partitionsOf = partitionsOf;
  }

  join(options: SubscribeOptions): MemoryMember {
    const member = new MemoryMember(options, this);
    for (const t of options.topics) this.topics.add(t);
    this.members.push(member);
    this.rebalance();
    return member;
  }

  leave(member: MemoryMember): void {
    const i = this.members.indexOf(member);
    if (i < 0) return;
    member.active = false;
    this.members.splice(i, 1);
    this.rebalance();
  }

  leaveAll(): void {
    for (const m of [...this.members]) this.leave(m);
  }

  commit(topic: string, partition: number, offset: number): void {
    this.committed.set(key(topic, partition), offset);
  }

  committedOffset(topic: string, partition: number): number | undefined {
    return this.committed.get(key(topic, partition));
  }

  wake(topic: string): void {
    for (const m of this.members) if (m.owns(topic)) m.wake();
  }

  get caughtUp(): boolean {
    return this.members.every((m) => m.caughtUp);
  }

  private rebalance(): void {
    const topics = [...new Set(this.members.flatMap((m) => m.options.topics))].sort();
    const plan = new Map<MemoryMember, TopicPartition[]>(this.members.map((m) => [m, []]));
    for (const topic of topics) {
      const takers = this.members.filter((m) => m.options.topics.includes(topic));
      const count = this.partitionsOf(topic).length;
      for (let p = 0; p < count; p++) plan.get(takers[p % takers.length]!)!.push({ topic, partition: p });
    }
    for (const [member, tps] of plan) {
      member.assign(tps, (tp) => {
        const committed = this.committed.get(key(tp.topic, tp.partition));
        const part = this.partitionsOf(tp.topic)[tp.partition]!;
        if (committed !== undefined) return committed;
        const at = member.options.startAt?.get(tp.topic)?.get(tp.partition);
        if (at === undefined) return member.options.fromBeginning ? part.start : part.end;
        const start = Math.min(Math.max(Number(at), part.start), part.end);
        this.committed.set(key(tp.topic, tp.partition), start);
        return start;
      });
    }
  }
}

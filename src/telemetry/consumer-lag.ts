import type { TopicPartition, Transport } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';

/** A consumer as the lag sees it (actors/consumer.ts's ConsumerActor is one). */
export interface LaggingConsumer {
  readonly assignment: readonly TopicPartition[];
  readonly behaviour: {
    readonly options: { readonly groupId: string; readonly fromBeginning: boolean };
    /** The next offset it will hand out, per partition it has handed records of. */
    routedUpTo(topic: string): ReadonlyMap<number, bigint>;
  };
}

type Offsets = ReadonlyMap<number, bigint>;

/**
 * What one consumer has yet to take of its partitions: per assigned partition, the log's end minus the
 * next offset it will hand out (or, before it has handed any, its group's commit; or the log's start for
 * a group reading from the beginning). A partition whose end or position is unknown counts nothing: the
 * lag reported is what is known.
 */
export function lagOf(c: LaggingConsumer, ends: (topic: string) => Offsets | undefined, committed: (group: string, topic: string) => Offsets | undefined): number {
  let lag = 0n;
  const { groupId, fromBeginning } = c.behaviour.options;
  for (const { topic, partition } of c.assignment) {
    const end = ends(topic)?.get(partition);
    if (end === undefined) continue;
    const at = c.behaviour.routedUpTo(topic).get(partition) ?? committed(groupId, topic)?.get(partition) ?? (fromBeginning ? 0n : undefined);
    if (at !== undefined && end > at) lag += end - at;
  }
  return Number(lag);
}

/**
 * Offsets asked of the transport, the last answer kept for when it does not answer. Scrapes that
 * overlap share one request per key; a request given up on (it took longer than a scrape may wait) is
 * not waited for again: the next scrape asks anew, and whichever answer was asked for last is kept.
 */
class OffsetCache {
  private readonly last = new Map<string, { offsets: Offsets; asked: number }>();
  private readonly asking = new Map<string, Promise<boolean>>();
  private asked = 0;

  get(key: string): Offsets | undefined {
    return this.last.get(key)?.offsets;
  }

  /** Refreshes `key`. True if it answered; never rejects. */
  refresh(key: string, ask: () => Promise<Map<number, bigint>>): Promise<boolean> {
    let p = this.asking.get(key);
    if (!p) {
      const asked = ++this.asked;
      p = Promise.resolve()
        .then(ask)
        .then(
          (offsets) => {
            if ((this.last.get(key)?.asked ?? 0) < asked) this.last.set(key, { offsets, asked });
            return true;
          },
          () => false,
        )
        .finally(() => {
          if (this.asking.get(key) === p) this.asking.delete(key);
        });
      this.asking.set(key, p);
    }
    return p;
  }

  /** Stops waiting for what is out: the next refresh asks again. */
  giveUp(): void {
    this.asking.clear();
  }
}

/**
 * Consumer lag per consumer group, read at scrape time: the consumers say where they are (no broker
 * request), the transport says where each topic ends. Bounded in time: what the broker has not answered
 * within `timeoutMs` (it is down, or slow) is taken from its last answer, and the scrape goes on.
 * Overlapping scrapes share their requests (one per topic); a request given up on is left to the
 * client's own request timeout. Never throws.
 */
export class ConsumerLag {
  /** Scrapes at which some offsets did not come within the time allowed (or the request failed). */
  unanswered = 0;
  private readonly ends = new OffsetCache();
  private readonly commits = new OffsetCache();
  private readonly transport: Pick<Transport, 'endOffsets' | 'committed'>;
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  constructor(transport: Pick<Transport, 'endOffsets' | 'committed'>, clock: Clock, timeoutMs: number) {
    this.transport = transport;
    this.clock = clock;
    this.timeoutMs = timeoutMs;
  }

  /** The lag of each group these consumers belong to, summed over the partitions assigned here. */
  async read(consumers: readonly LaggingConsumer[]): Promise<Map<string, number>> {
    const topics = new Set<string>();
    // Groups that have not handed anything of a partition yet: their commit is their position.
    const unrouted = new Set<string>();
    for (const c of consumers) {
      for (const { topic, partition } of c.assignment) {
        topics.add(topic);
        if (!c.behaviour.routedUpTo(topic).has(partition)) unrouted.add(key(c.behaviour.options.groupId, topic));
      }
    }
    const asks = [...topics].map((t) => this.ends.refresh(t, () => this.transport.endOffsets(t)));
    for (const k of unrouted) {
      const [group, topic] = k.split('\u0000') as [string, string];
      asks.push(this.commits.refresh(k, () => this.transport.committed(group, topic)));
    }
    const answered = await this.within(Promise.all(asks));
    if (!answered) {
      this.ends.giveUp();
      this.commits.giveUp();
    }
    if (!answered || answered.includes(false)) this.unanswered++;
    const out = new Map<string, number>();
    for (const c of consumers) {
      const group = c.behaviour.options.groupId;
      const lag = lagOf(c, (t) => this.ends.get(t), (g, t) => this.commits.get(key(g, t)));
      out.set(group, (out.get(group) ?? 0) + lag);
    }
    return out;
  }

  /** What `p` resolved to, if it did within the time allowed. */
  private within<T>(p: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.schedule(this.timeoutMs, () => resolve(undefined));
      void p.then((v) => {
        timer.cancel();
        resolve(v);
      });
    });
  }
}

const key = (group: string, topic: string) => `${group}\u0000${topic}`;

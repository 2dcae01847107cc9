import { afterEach, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import type { Transport } from '../../src/bus/transport.ts';
import { TestClock } from '../../src/clock.ts';
import { dlqOf } from '../../src/contracts/topics.ts';
import { AlphaPandaError } from '../../src/errors.ts';
import { pipelineMetrics } from '../../src/telemetry/metrics.ts';
import { SupervisionPolicy } from '../../supervisors/policy.ts';
import { delegate, makeSystem, makeTransport, recordOf, tick, uniqueTopic, waitFor } from '../support/harness.ts';
import { parseMetrics, samples, value } from '../support/prometheus.ts';

/** Lets nact's setImmediate-scheduled turns run. */
const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

const consumerOptions = { fromBeginning: true, mailboxBound: 3, mailboxLowWater: 1, outboxBound: 10_000, commitIntervalMs: 50 };

/** A gate an actor's messages wait on: they stay in its mailbox, unfinished, until it opens. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('metrics of a running system', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    await sys?.stop(2000);
    sys = undefined;
  });

  const scrape = async (s: ActorSystem, opts: Parameters<typeof pipelineMetrics>[2] = {}) => parseMetrics(await pipelineMetrics(s, () => undefined, { defaults: false, ...opts }).scrape());

  it("a poison message's dead letter counts on the DLQ counter of its topic", async () => {
    const transport = makeTransport('memory') as MemoryTransport;
    const s = (sys = makeSystem(transport));
    const topic = uniqueTopic('poison');
    const seen: string[] = [];
    const worker = s.root.spawn<null, { type: string }>({ name: 'worker', behaviour: { init: () => null, receive: (st, e) => (seen.push(e.type), st) } });
    s.consumer({ name: 'poison-in', groupId: uniqueTopic('g'), topics: [topic], route: () => worker, ...consumerOptions });
    await transport.send([recordOf(topic, tick(1)), { topic, key: '1', value: Buffer.from('{"not":"an envelope"'), headers: {} }, recordOf(topic, tick(1))]);
    await waitFor(() => transport.read(dlqOf(topic)).length === 1 && seen.length === 2, 'the poison dead-lettered and the rest handled');
    const scraped = await scrape(s);
    expect(value(scraped, 'alpha_panda_dead_letters_total', { topic: dlqOf(topic) })).toBe(1);
    expect(samples(scraped, 'alpha_panda_dead_letters_total')).toHaveLength(1);
  });

  it("a crashing actor's restart counts on the restart counter of its kind, never of its name", async () => {
    const clock = new TestClock();
    const s = (sys = makeSystem(makeTransport('memory'), { clock }));
    const policy = SupervisionPolicy.parse({ backoff: { minMs: 100, maxMs: 100 } });
    const crashing = (failures: number) => {
      let left = failures;
      return {
        init: () => null,
        receive: (st: null) => {
          if (left-- > 0) throw new AlphaPandaError('crash', { retriable: true });
          return st;
        },
      };
    };
    const strategy = s.root.spawnSupervisor({ name: 'strategies', policy }).spawn({ name: 'momentum-7', behaviour: crashing(1) });
    const cache = s.root.spawnSupervisor({ name: 'market', policy }).spawn({ name: 'price-256265', behaviour: crashing(2) });
    strategy.tell('tick');
    cache.tell('tick');
    await settle();
    // Failed, not yet restarted: the backoff has not passed.
    expect(samples(await scrape(s), 'alpha_panda_actor_restarts_total')).toEqual([]);
    for (let i = 0; i < 3; i++) {
      clock.advance(100);
      await settle();
    }
    const scraped = await scrape(s);
    expect(value(scraped, 'alpha_panda_actor_restarts_total', { kind: 'strategy' })).toBe(1);
    expect(value(scraped, 'alpha_panda_actor_restarts_total', { kind: 'price-cache' })).toBe(2);
    expect(samples(scraped, 'alpha_panda_actor_restarts_total').map((x) => x.labels.kind).sort()).toEqual(['price-cache', 'strategy']);
  });

  it('mailbox depth is read at scrape time: what the actors of a kind hold, summed, and the fullest', async () => {
    const s = (sys = makeSystem(makeTransport('memory')));
    const g = gate();
    const market = s.root.spawnSupervisor({ name: 'market', policy: SupervisionPolicy.parse({}) });
    const waiting = { init: () => null, receive: async (st: null) => (await g.opened, st) };
    const a = market.spawn({ name: 'price-1', behaviour: waiting });
    const b = market.spawn({ name: 'price-2', behaviour: waiting });
    for (let i = 0; i < 3; i++) a.tell(i);
    for (let i = 0; i < 2; i++) b.tell(i);
    await settle();
    const held = await scrape(s);
    expect(value(held, 'alpha_panda_mailbox_messages', { kind: 'price-cache' })).toBe(5);
    expect(value(held, 'alpha_panda_mailbox_max_messages', { kind: 'price-cache' })).toBe(3);
    g.open();
    await waitFor(() => a.pending + b.pending === 0, 'the mailboxes drained');
    const drained = await scrape(s);
    expect(value(drained, 'alpha_panda_mailbox_messages', { kind: 'price-cache' })).toBe(0);
    expect(value(drained, 'alpha_panda_mailbox_max_messages', { kind: 'price-cache' })).toBe(0);
  });

  it("consumer lag is the log's end minus what the group has taken; with the broker not answering, a scrape reports the last lag it knew, in bounded time", async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    let down = false;
    const transport: Transport = { ...delegate(inner), endOffsets: (t) => (down ? new Promise(() => undefined) : inner.endOffsets(t)) };
    const s = (sys = makeSystem(transport));
    const g = gate();
    const stuck = s.root.spawn<null, unknown>({ name: 'stuck', behaviour: { init: () => null, receive: async (st) => (await g.opened, st) } });
    const group = uniqueTopic('g');
    const topic = uniqueTopic('lagging');
    const c = s.consumer({ name: 'lagging-in', groupId: group, topics: [topic], route: () => stuck, ...consumerOptions });
    // One key: one partition. The consumer takes three (its target's mailbox bound) and pauses.
    await inner.send(Array.from({ length: 10 }, () => recordOf(topic, tick(7))));
    await waitFor(() => c.stats.received === 3 && c.stats.pauses === 1, 'the consumer paused at the bound');
    const clock = new TestClock();
    const lagTimeoutMs = 500;
    const metrics = pipelineMetrics(s, () => undefined, { defaults: false, clock, lagTimeoutMs });
    const up = parseMetrics(await metrics.scrape());
    expect(value(up, 'alpha_panda_consumer_lag_records', { group })).toBe(7);
    expect(value(up, 'alpha_panda_consumer_lag_unanswered_total')).toBe(0);

    down = true;
    await inner.send(Array.from({ length: 5 }, () => recordOf(topic, tick(7))));
    const scraping = metrics.scrape();
    await settle();
    clock.advance(lagTimeoutMs);
    const stale = parseMetrics(await scraping);
    expect(value(stale, 'alpha_panda_consumer_lag_records', { group })).toBe(7);
    expect(value(stale, 'alpha_panda_consumer_lag_unanswered_total')).toBe(1);

    down = false;
    const back = parseMetrics(await metrics.scrape());
    expect(value(back, 'alpha_panda_consumer_lag_records', { group })).toBe(12);
    // No pipeline yet: its counters are zero or absent, never an error.
    expect(value(back, 'alpha_panda_ticks_received_total')).toBe(0);
    expect(samples(back, 'alpha_panda_signals_total')).toEqual([]);
    g.open();
  });
});

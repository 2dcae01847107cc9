import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import { makeSystem, makeTransport, recordOf, tick, uniqueTopic, waitFor } from '../support/harness.ts';

const kafka = new Kafka({ clientId: 'offsets-probe', brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
afterAll(() => admin.disconnect());

async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  await admin.connect();
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(entry!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

const consumerDefaults = { fromBeginning: true, mailboxBound: 1000, mailboxLowWater: 500, outboxBound: 10_000, commitIntervalMs: 50 };

/** A system whose one actor records (partition, offset) of what it finished, gated by `gate`. */
async function start(groupId: string, topic: string, done: Array<[number, number]>, gate: () => Promise<void>): Promise<ActorSystem> {
  const transport = makeTransport('kafka');
  const sys = makeSystem(transport);
  const actor = sys.root.spawn<null, AnyEnvelope>({
    name: 'sink',
    behaviour: {
      init: () => null,
      receive: async (s, _e, ctx) => {
        await gate();
        const r = ctx.delivery.origin!.record;
        done.push([r.partition, Number(r.offset)]);
        return s;
      },
    },
  });
  await sys.consumer({ ...consumerDefaults, name: 'consumer', groupId, topics: [topic], route: () => actor });
  return sys;
}

describe('Kafka consumer actor: at-least-once', () => {
  it('commits an offset only after the target actor has processed the message', async () => {
    const topic = uniqueTopic('commit');
    const groupId = `g-${randomUUID()}`;
    const producer = makeTransport('kafka');
    await producer.send(Array.from({ length: 30 }, (_, i) => recordOf(topic, tick(42, 100 + i))));
    const done: Array<[number, number]> = [];
    let open = false;
    let held = false;
    let release: () => void = () => undefined;
    const gate = () => (open ? Promise.resolve() : new Promise<void>((r) => ((held = true), (release = () => ((open = true), r())))));
    const sys = await start(groupId, topic, done, gate);
    await waitFor(() => held, 'the first message to reach the actor');
    // Let several commit intervals pass while the first message is held: nothing may be committed.
    const stats = sys.consumers[0]!.stats;
    const ticks = stats.commitTicks;
    await waitFor(() => stats.commitTicks >= ticks + 5, 'five commit intervals');
    expect(done).toEqual([]);
    expect([...(await committed(groupId, topic)).values()].every((o) => o <= 0)).toBe(true);
    release();
    await waitFor(() => done.length === 30, 'all 30 processed');
    const partition = done[0]![0];
    let offsets = new Map<number, number>();
    for (let i = 0; i < 50 && offsets.get(partition) !== 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      offsets = await committed(groupId, topic);
    }
    expect(offsets.get(partition)).toBe(30);
    await sys.stop();
    await producer.close();
  });

  it('loses nothing when a consumer is killed mid-batch and another takes over the group', async () => {
    const topic = uniqueTopic('kill');
    const groupId = `g-${randomUUID()}`;
    const producer = makeTransport('kafka');
    const total = 400;
    await producer.send(Array.from({ length: total }, (_, i) => recordOf(topic, tick(1 + (i % 8), 100 + i))));
    const first: Array<[number, number]> = [];
    let killed = false;
    // After the kill the first process is gone: what its actors held in their mailboxes never finishes.
    const slow = () => new Promise<void>((r) => (killed ? undefined : setTimeout(r, 2)));
    const sys1 = await start(groupId, topic, first, slow);
    await waitFor(() => first.length >= 100, 'first consumer to process 100');
    killed = true;
    // Killed: the connection drops with no drain and no final commit.
    await sys1.transport.close();
    const atKill = first.length;
    expect(atKill).toBeLessThan(total);
    const second: Array<[number, number]> = [];
    const sys2 = await start(groupId, topic, second, async () => undefined);
    const seen = () => new Set([...first, ...second].map(([p, o]) => `${p}:${o}`));
    await waitFor(() => seen().size >= total, `every record processed by one or the other (have ${seen().size})`, 60_000);
    expect(seen().size).toBe(total);
    // It took over from the committed offsets: some of the first consumer's work may repeat, none is skipped.
    expect(second.length).toBeGreaterThanOrEqual(total - atKill);
    await sys2.stop();
    await producer.close();
  });
});

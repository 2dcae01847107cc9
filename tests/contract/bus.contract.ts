import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { InRecord, SubscribeOptions, Subscription, Transport } from '../../src/bus/transport.ts';
import { DLT } from '../../src/contracts/dead-letter.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { dlqOf } from '../../src/contracts/topics.ts';
import type { ActorRef } from '../../src/runtime/actor-ref.ts';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import { collect, makeSystem, makeTransport, recordOf, tick, uniqueTopic, waitFor, type TransportKind } from '../support/harness.ts';

const consumerDefaults = { fromBeginning: true, mailboxBound: 1000, mailboxLowWater: 500, outboxBound: 10_000, commitIntervalMs: 50 };

/**
 * One contract, two buses: the Kafka bus (through kafkajs to the loopback test broker) and the
 * in-process bus must behave the same for everything the actors rely on.
 */
export function busContract(kind: TransportKind): void {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  });
  const transport = (): Transport => {
    const t = makeTransport(kind);
    cleanup.push(() => t.close());
    return t;
  };
  const system = (t: Transport): ActorSystem => {
    const s = makeSystem(t);
    cleanup.push(() => s.stop());
    return s;
  };
  const subscribe = async (t: Transport, groupId: string, topic: string | string[], got: InRecord[], take = (n: number, _partition: number, _topic: string) => n, start: Pick<SubscribeOptions, 'fromBeginning' | 'startAt'> = { fromBeginning: true }): Promise<Subscription> => {
    const sub = await t.subscribe({
      groupId,
      topics: Array.isArray(topic) ? topic : [topic],
      ...start,
      onBatch: async (b) => {
        const n = take(b.records.length, b.partition, b.topic);
        got.push(...b.records.slice(0, n));
        return n;
      },
      onAssignment: () => undefined,
      onCrash: () => undefined,
    });
    cleanup.push(() => sub.stop());
    return sub;
  };

  describe(`${kind} bus contract`, () => {
    it('keeps per-key order and delivers every record to each consumer group', async () => {
      const t = transport();
      const topic = uniqueTopic('order');
      const events = Array.from({ length: 200 }, (_, i) => tick(1000 + (i % 10), 100 + i));
      await t.send(events.map((e) => recordOf(topic, e)));
      const [a, b] = await Promise.all([collect(t, topic, 200), collect(t, topic, 200)]);
      for (const got of [a, b]) {
        expect(got).toHaveLength(200);
        for (let k = 0; k < 10; k++) {
          const key = String(1000 + k);
          const prices = got.filter((r) => r.key === key).map((r) => JSON.parse(r.value!.toString()).data.last_price);
          expect(prices).toEqual(events.filter((e) => e.key === key).map((e) => e.data.last_price));
        }
      }
    });

    it('resumes a group from its committed offset, so a member that stops without committing loses nothing', async () => {
      const t = transport();
      const topic = uniqueTopic('resume');
      const groupId = `g-${randomUUID()}`;
      await t.send(Array.from({ length: 40 }, (_, i) => recordOf(topic, tick(7, 100 + i))));
      const first: InRecord[] = [];
      const sub = await subscribe(t, groupId, topic, first);
      await waitFor(() => first.length >= 40, 'first member to read everything');
      const byPartition = new Map<number, InRecord[]>();
      for (const r of first) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
      const [partition, records] = [...byPartition][0]!;
      // Commit only the first 10 of that partition, then leave: the next member starts at record 10.
      await sub.commit([{ topic, partition, offset: String(Number(records[9]!.offset) + 1) }]);
      await sub.stop();
      const second: InRecord[] = [];
      await subscribe(t, groupId, topic, second);
      await waitFor(() => second.length >= 30, 'second member to get the uncommitted records');
      expect(second.map((r) => r.offset).slice(0, 30)).toEqual(records.slice(10).map((r) => r.offset));
    });

    it('starts a partition without a commit where it is told, commits that start at once, and ignores it once committed', async () => {
      const t = transport();
      const topic = uniqueTopic('start');
      const groupId = `g-${randomUUID()}`;
      await t.send(Array.from({ length: 10 }, (_, i) => recordOf(topic, tick(11, 100 + i))));
      const [partition] = [...(await t.endOffsets(topic))].find(([, end]) => end > 0n)!;
      const join = (start: bigint, got: InRecord[]) => subscribe(t, groupId, topic, got, undefined, { fromBeginning: false, startAt: new Map([[topic, new Map([[partition, start]])]]) });
      const first: InRecord[] = [];
      const sub = await join(4n, first);
      await waitFor(() => first.length >= 6, 'the records from offset 4');
      expect(first.map((r) => Number(r.offset))).toEqual([4, 5, 6, 7, 8, 9]);
      // Committed by the subscription itself: a member that dies now is restarted at 4, not at the end.
      expect((await t.committed(groupId, topic)).get(partition)).toBe(4n);
      await sub.stop();
      const second: InRecord[] = [];
      await join(9n, second);
      await waitFor(() => second.length >= 6, 'the records again from the committed offset');
      expect(Number(second[0]!.offset)).toBe(4);
    });

    it('a consumer actor of a committing group that starts at the end commits that start on joining, so the member after it skips nothing published meanwhile', async () => {
      const t = transport();
      const topic = uniqueTopic('latest');
      const groupId = `g-${randomUUID()}`;
      await t.send(Array.from({ length: 5 }, (_, i) => recordOf(topic, tick(21, 100 + i))));
      const ends = await t.endOffsets(topic);
      const got: number[] = [];
      const sys = system(t);
      const sink = sys.root.spawn<null, AnyEnvelope>({ name: 'sink', behaviour: { init: () => null, receive: (n, e) => (got.push((e as { data: { last_price: number } }).data.last_price), n) } });
      const c = await sys.consumer({ ...consumerDefaults, fromBeginning: false, name: 'c1', groupId, topics: [topic], route: () => sink });
      await waitFor(() => c.behaviour.assignment.length > 0, 'the first member assigned');
      // Nothing was handed out, yet every partition has a commit: where the first member started.
      await waitFor(async () => (await t.committed(groupId, topic)).size === ends.size, 'the starts committed');
      expect(await t.committed(groupId, topic)).toEqual(ends);
      await c.stop(1000);
      await t.send([7, 8, 9].map((i) => recordOf(topic, tick(21, 200 + i))));
      await sys.consumer({ ...consumerDefaults, fromBeginning: false, name: 'c2', groupId, topics: [topic], route: () => sink });
      await waitFor(() => got.length >= 3, 'what was published between the members');
      expect(got).toEqual([207, 208, 209]);
    });

    it('delivers a batch cut short again from the first record not taken, after resume', async () => {
      const t = transport();
      const topic = uniqueTopic('cut');
      const probe = uniqueTopic('probe');
      await t.send(Array.from({ length: 20 }, (_, i) => recordOf(topic, tick(9, 100 + i))));
      const got: InRecord[] = [];
      let paused = false;
      let sub: Subscription | undefined;
      sub = await subscribe(t, `g-${randomUUID()}`, [topic, probe], got, (n, partition, from) => {
        if (paused || from !== topic) return n;
        paused = true;
        sub!.pause(topic, partition);
        return Math.min(3, n);
      });
      await waitFor(() => got.length >= 3, 'first three records');
      // While paused, the subscription goes on fetching its other topic: once a probe record sent now has
      // arrived, it has been fetching, and the paused partition handed out nothing meanwhile.
      await t.send([recordOf(probe, tick(1, 1))]);
      await waitFor(() => got.some((r) => r.topic === probe), 'the probe record', 30_000);
      const mine = () => got.filter((r) => r.topic === topic);
      expect(mine().length).toBe(3);
      sub.resume(topic, mine()[0]!.partition);
      await waitFor(() => mine().length >= 20, 'the rest after resume');
      expect(mine().map((r) => JSON.parse(r.value!.toString()).data.last_price)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    });

    it('routes each event to the actor its key names, through a consumer actor', async () => {
      const t = transport();
      const sys = system(t);
      const topic = uniqueTopic('route');
      const seen = new Map<string, number[]>();
      const actors = new Map<string, ActorRef<AnyEnvelope>>();
      for (const token of [11, 12, 13]) {
        actors.set(
          String(token),
          sys.root.spawn<number, AnyEnvelope>({
            name: `inst-${token}`,
            behaviour: {
              init: () => 0,
              receive: (n, e) => {
                seen.set(String(token), [...(seen.get(String(token)) ?? []), (e as { data: { instrument_token: number } }).data.instrument_token]);
                return n + 1;
              },
            },
          }),
        );
      }
      await sys.consumer({ ...consumerDefaults, name: 'c', groupId: `g-${randomUUID()}`, topics: [topic], route: (e) => actors.get(e.key) });
      await t.send([11, 12, 13, 11, 12, 13, 11].map((tok) => recordOf(topic, tick(tok))));
      await waitFor(() => [...seen.values()].flat().length >= 7, 'seven deliveries');
      expect(seen.get('11')).toEqual([11, 11, 11]);
      expect(seen.get('12')).toEqual([12, 12]);
      expect(seen.get('13')).toEqual([13, 13]);
    });

    it('dead-letters garbage, schema violations and unknown types with their coordinates, and processes the valid ones around them in order', async () => {
      const t = transport();
      const sys = system(t);
      const topic = `${uniqueTopic('dlq')}.paper.signals.raw`;
      const got: string[] = [];
      const actor = sys.root.spawn<null, AnyEnvelope>({
        name: 'signals',
        behaviour: { init: () => null, receive: (s, e) => (got.push((e.data as { strategy_id: string }).strategy_id), s) },
      });
      const groupId = `g-${randomUUID()}`;
      await sys.consumer({ ...consumerDefaults, name: 'c', groupId, topics: [topic], route: () => actor });
      const signal = (id: string) =>
        recordOf(topic, {
          ...tick(5),
          type: 'trading_signal',
          key: 'k',
          data: { signal_id: randomUUID(), strategy_id: id, instrument_token: 5, signal_type: 'BUY', quantity: 1, price: 100.05, timestamp: new Date().toISOString() },
        } as unknown as AnyEnvelope);
      const bad = (value: string) => ({ topic, key: 'k', value: Buffer.from(value), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
      const schemaViolation = JSON.parse(signal('x').value.toString());
      schemaViolation.data.quantity = -3;
      const unknownType = { ...JSON.parse(signal('y').value.toString()), type: 'mystery_event' };
      await t.send([signal('s1'), bad('{not json'), signal('s2'), bad(JSON.stringify(schemaViolation)), signal('s3'), bad(JSON.stringify(unknownType)), signal('s4')]);
      const dead = await collect(t, dlqOf(topic), 3);
      await waitFor(() => got.length >= 4, 'four valid signals');
      expect(got).toEqual(['s1', 's2', 's3', 's4']);
      const kinds = dead.map((r) => r.headers[DLT.decodeKind]).sort();
      expect(kinds).toEqual(['not_json', 'schema_violation', 'unknown_type']);
      for (const r of dead) {
        expect(r.key).toBe('k');
        expect(r.headers[DLT.originalTopic]).toBe(topic);
        expect(r.headers[DLT.originalPartition]).toMatch(/^\d+$/);
        expect(r.headers[DLT.originalOffset]).toMatch(/^\d+$/);
        expect(r.headers[DLT.originalTimestamp]).toMatch(/^\d+$/);
        expect(r.headers[DLT.originalGroup]).toBe(groupId);
        expect(r.headers[DLT.exceptionClass]).toBe('DecodeError');
        expect(r.headers[DLT.exceptionMessage]).toBeTruthy();
        expect(r.headers[DLT.exceptionStacktrace]).toContain('DecodeError');
        expect(r.headers[DLT.actorPath]).toContain('/c');
        expect(r.headers[DLT.attempts]).toBe('1');
        expect(Date.parse(r.headers[DLT.failedAt]!)).not.toBeNaN();
        expect(r.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
      }
      const violation = dead.find((r) => r.headers[DLT.decodeKind] === 'schema_violation')!;
      expect(violation.headers[DLT.decodePath]).toBe('data.quantity');
      expect(violation.value!.toString()).toBe(JSON.stringify(schemaViolation));
    });

    it('pauses a partition while a slow actor is at its mailbox bound, and never lets the mailbox pass it', async () => {
      const t = transport();
      const sys = system(t);
      const topic = uniqueTopic('slow');
      const bound = 20;
      let processed = 0;
      let maxPending = 0;
      const actor: ActorRef<AnyEnvelope> = sys.root.spawn<null, AnyEnvelope>({
        name: 'slow',
        behaviour: {
          init: () => null,
          receive: async (s) => {
            maxPending = Math.max(maxPending, actor.pending);
            await new Promise((r) => setTimeout(r, 1));
            processed++;
            return s;
          },
        },
      });
      const consumer = await sys.consumer({ ...consumerDefaults, name: 'c', groupId: `g-${randomUUID()}`, topics: [topic], route: () => actor, mailboxBound: bound, mailboxLowWater: 5 });
      const total = 600;
      await t.send(Array.from({ length: total }, (_, i) => recordOf(topic, tick(1 + (i % 4), 100 + i))));
      await waitFor(() => processed >= total, `${total} processed (have ${processed})`, 60_000);
      expect(maxPending).toBeLessThanOrEqual(bound);
      expect(consumer.stats.pauses).toBeGreaterThan(0);
    });
  });
}

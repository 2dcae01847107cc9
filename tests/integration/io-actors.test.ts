import { randomUUID } from 'node:crypto';
import { delegate } from '../support/harness.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import type { OutRecord, Transport } from '../../src/bus/transport.ts';
import { TestClock } from '../../src/clock.ts';
import { DLT } from '../../src/contracts/dead-letter.ts';
import { decode } from '../../src/contracts/codec.ts';
import type { AnyEnvelope } from '../../src/contracts/envelope.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import { dlqOf, INTERNAL_DEAD_LETTERS, MARKET_TICKS } from '../../src/contracts/topics.ts';
import { AlphaPandaError, TransportError } from '../../src/errors.ts';
import { Delivery } from '../../src/runtime/delivery.ts';
import { makeSystem, makeTransport, recordOf, tick, uniqueTopic, waitFor } from '../support/harness.ts';

/** Lets nact's setImmediate-scheduled turns run. */
const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

/** A memory transport whose sends fail as `fault` says (the records of a failed send are not written). */
function faulty(inner: MemoryTransport, fault: (records: readonly OutRecord[], attempt: number) => Error | undefined): Transport & { attempts: number } {
  const t = {
    ...delegate(inner),
    attempts: 0,
    send: async (records: readonly OutRecord[]) => {
      const e = fault(records, ++t.attempts);
      if (e) throw e;
      return inner.send(records);
    },
  };
  return t;
}

const prices = (inner: MemoryTransport, topic: string) => inner.read(topic).map((r) => (r.event as AnyEnvelope & { type: 'market_tick' }).data.last_price);

describe('the I/O actors are supervised cells', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    await sys?.stop();
    sys = undefined;
  });

  it('producer: a crash in the middle of a batch loses no record; the batch goes out after the restart, in order', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    const clock = new TestClock();
    sys = makeSystem(inner, { clock });
    // Fault injection: the producer's code throws once, as a bug would, with a batch in hand.
    const behaviour = sys.producer.behaviour;
    const afterBatch = behaviour.afterBatch.bind(behaviour);
    let crashes = 0;
    behaviour.afterBatch = async (state) => {
      if (crashes++ === 0) throw new Error('producer bug');
      return afterBatch(state);
    };
    for (let i = 0; i < 50; i++) sys.producer.publish(new EventRecord(MARKET_TICKS, tick(7, 100 + i), {}), undefined);
    await settle();
    expect(inner.read(MARKET_TICKS)).toHaveLength(0);
    expect(sys.producer.backlog).toBe(50);
    clock.advance(1_000); // the restart's backoff
    await waitFor(() => sys!.producer.backlog === 0, 'the batch confirmed');
    expect(prices(inner, MARKET_TICKS)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
  });

  it('producer: waits out a retriable send failure with backoff and loses nothing, per-key order kept', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    const clock = new TestClock();
    const transport = faulty(inner, (_r, attempt) => (attempt <= 3 ? new TransportError('broker not available', { retriable: true }) : undefined));
    sys = makeSystem(transport, { clock });
    for (let i = 0; i < 20; i++) sys.producer.publish(new EventRecord(MARKET_TICKS, tick(7, 100 + i), {}), undefined);
    await waitFor(() => (clock.advance(100), transport.attempts >= 4 && sys!.producer.backlog === 0), 'the send to succeed');
    expect(prices(inner, MARKET_TICKS)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
  });

  it('producer: a refused batch is split, and only the bad record\'s cause goes to the dead letters', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    const clock = new TestClock();
    const poison = tick(9, 666);
    const transport = faulty(inner, (records) => (records.some((r) => r.value.includes(Buffer.from(poison.id))) ? new TransportError('record too large', { retriable: false }) : undefined));
    sys = makeSystem(transport, { clock });
    const causes = Array.from({ length: 5 }, (_, i) => new Delivery(`cause-${i}`));
    for (const [i, c] of causes.entries()) {
      c.beginPublish();
      sys.producer.publish(new EventRecord(MARKET_TICKS, i === 2 ? poison : tick(9, 100 + i), {}), c);
      c.markHandled();
    }
    await waitFor(() => (clock.advance(5), inner.read(INTERNAL_DEAD_LETTERS).length === 1 && sys!.producer.backlog === 0), 'the bad record dead-lettered');
    expect(prices(inner, MARKET_TICKS)).toEqual([100, 101, 103, 104]);
    const [dead] = inner.read(INTERNAL_DEAD_LETTERS);
    expect(dead!.value!.toString()).toBe('"cause-2"');
    expect(dead!.headers[DLT.exceptionMessage]).toBe('record too large');
    expect(causes.map((c) => c.settled)).toEqual([true, true, true, true, true]);
  });

  it('dead-letter actor: a crash while writing a dead letter retries it, and it is published once', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    const clock = new TestClock();
    sys = makeSystem(inner, { clock });
    // An error whose stack cannot be read the first time: the dead-letter actor fails building the record.
    const error = new AlphaPandaError('poison', { retriable: false });
    let reads = 0;
    Object.defineProperty(error, 'stack', {
      get() {
        if (reads++ === 0) throw new Error('stack unreadable');
        return 'AlphaPandaError: poison';
      },
    });
    const d = new Delivery('a message');
    sys.deadLetters.send(d, error, '/test/actor');
    await settle();
    expect(inner.read(INTERNAL_DEAD_LETTERS)).toHaveLength(0);
    await waitFor(() => (clock.advance(50), inner.read(INTERNAL_DEAD_LETTERS).length >= 1 && d.settled), 'the dead letter after the restart');
    clock.advance(10_000);
    await settle();
    expect(inner.read(INTERNAL_DEAD_LETTERS)).toHaveLength(1);
    expect(inner.read(INTERNAL_DEAD_LETTERS)[0]!.headers[DLT.exceptionStacktrace]).toBe('AlphaPandaError: poison');
  });

  it('consumer: a crashed subscription is restarted by its supervisor and resumes from the committed offset (test broker)', async () => {
    const transport = makeTransport('kafka');
    sys = makeSystem(transport);
    const topic = uniqueTopic('crash');
    const seen: string[] = [];
    const sink = sys.root.spawn<null, AnyEnvelope>({
      name: 'sink',
      behaviour: {
        init: () => null,
        receive: (s, _e, ctx) => {
          const r = ctx.delivery.origin!.record;
          seen.push(`${r.partition}:${r.offset}`);
          return s;
        },
      },
    });
    const consumer = sys.consumer({ name: 'in', groupId: `g-${randomUUID()}`, topics: [topic], fromBeginning: true, route: () => sink, mailboxBound: 1000, mailboxLowWater: 500, outboxBound: 10_000, commitIntervalMs: 50 });
    const producer = makeTransport('kafka');
    await producer.send(Array.from({ length: 40 }, (_, i) => recordOf(topic, tick(3, 100 + i))));
    await waitFor(() => seen.length === 40, 'the first 40 processed', 30_000);
    await waitFor(() => consumer.stats.commits > 0 && consumer.behaviour.inFlight === 0, 'their offsets committed');
    const commitTicks = consumer.stats.commitTicks;
    await waitFor(() => consumer.stats.commitTicks >= commitTicks + 2, 'two more commit intervals');
    consumer.crash();
    await producer.send(Array.from({ length: 40 }, (_, i) => recordOf(topic, tick(3, 200 + i))));
    await waitFor(() => new Set(seen).size === 80, 'all 80 processed after the restart', 45_000);
    // Resumed from the committed offset: nothing before it is processed again.
    expect(seen.length).toBe(80);
    await producer.close();
  }, 90_000);
});

describe('restart types', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    await sys?.stop();
    sys = undefined;
  });

  it('transient: restarted after a failure, not after a normal exit (what is sent then is dead-lettered)', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    const clock = new TestClock();
    sys = makeSystem(inner, { clock, policy: { maxAttempts: 5 } });
    const inits = { count: 0 };
    const seen: string[] = [];
    const ref = sys.root.spawn<null, string>({
      name: 'transient',
      restartType: 'transient',
      behaviour: {
        init: () => (inits.count++, null),
        receive: (s, m, ctx) => {
          if (m === 'fail' && inits.count === 1) throw new AlphaPandaError('once', { retriable: true });
          seen.push(m);
          if (m === 'done') ctx.stop();
          return s;
        },
      },
    });
    ref.tell('fail');
    await settle();
    clock.advance(1_000);
    await settle();
    expect([inits.count, seen]).toEqual([2, ['fail']]);
    ref.tell('done');
    await settle();
    ref.tell('after');
    await waitFor(() => (clock.advance(5), inner.read(INTERNAL_DEAD_LETTERS).length === 1), 'the message after the exit dead-lettered');
    expect(inits.count).toBe(2);
    expect(seen).toEqual(['fail', 'done']);
    expect(inner.read(INTERNAL_DEAD_LETTERS)[0]!.headers[DLT.exceptionClass]).toBe('ActorStoppedError');
  });

  it('a dead letter of a record from a topic goes to <topic>.dlq with its coordinates', async () => {
    const inner = makeTransport('memory') as MemoryTransport;
    sys = makeSystem(inner);
    const topic = uniqueTopic('dlq');
    await inner.send([recordOf(topic, tick(1))]);
    const [record] = inner.read(topic);
    sys.deadLetters.send(new Delivery(decode(record!.value, topic), { record: record!, groupId: 'g' }), new AlphaPandaError('bad', { retriable: false }), '/x');
    await waitFor(() => inner.read(dlqOf(topic)).length === 1, 'the dead letter');
    expect(inner.read(dlqOf(topic))[0]!.headers).toMatchObject({ [DLT.originalTopic]: topic, [DLT.originalOffset]: '0', [DLT.originalGroup]: 'g' });
  });
});

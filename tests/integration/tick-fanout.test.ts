import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import { TestClock } from '../../src/clock.ts';
import { DLT } from '../../src/contracts/dead-letter.ts';
import type { MarketTick } from '../../src/contracts/events.ts';
import { dlqOf, MARKET_TICKS } from '../../src/contracts/topics.ts';
import { AlphaPandaError } from '../../src/errors.ts';
import { isTickChunk, type TickChunk } from '../../src/fanout/tick-block.ts';
import { TickFanout, type TickTargets } from '../../src/fanout/tick-fanout.ts';
import type { ActorRef } from '../../src/runtime/actor-ref.ts';
import { makeSystem, makeTransport, tick, waitFor } from '../support/harness.ts';

const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

const data = (token: number, price: number): MarketTick => tick(token, price).data;

describe('ticks handed over in process (src/fanout)', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    await sys?.stop();
    sys = undefined;
  });

  function setup(maxAttempts = 3) {
    const clock = new TestClock();
    const transport = makeTransport('memory') as MemoryTransport;
    sys = makeSystem(transport, { clock, policy: { maxAttempts }, random: () => 0.5 });
    return { clock, transport, s: sys };
  }

  /** An actor that records (token, price) of each tick it handles, throwing on the prices `poison` names. */
  function recorder(s: ActorSystem, name: string, poison: (price: number, attempt: number) => boolean = () => false) {
    const seen: string[] = [];
    const tries = new Map<number, number>();
    const ref = s.root.spawn<null, TickChunk>({
      name,
      behaviour: {
        init: () => null,
        receive(state, chunk) {
          expect(isTickChunk(chunk)).toBe(true);
          for (; chunk.next < chunk.indexes.length; chunk.next++) {
            const t = chunk.block.ticks[chunk.indexes[chunk.next]!]!;
            const attempt = (tries.get(t.last_price) ?? 0) + 1;
            tries.set(t.last_price, attempt);
            if (poison(t.last_price, attempt)) throw new AlphaPandaError(`poison at ${t.last_price}`, { retriable: true });
            seen.push(`${t.instrument_token}@${t.last_price}`);
          }
          return state;
        },
      },
    });
    return { ref, seen };
  }

  it("gives each actor its instruments' ticks in the feed's order, one chunk per publish; one trading two instruments sees them interleaved", async () => {
    const { clock, s } = setup();
    const cacheA = recorder(s, 'cache-1');
    const cacheB = recorder(s, 'cache-2');
    const onlyA = recorder(s, 'only-1');
    const both = recorder(s, 'both');
    const targets = new Map<number, TickTargets>([
      [1, { own: [cacheA.ref, onlyA.ref], shared: [both.ref] }],
      [2, { own: [cacheB.ref], shared: [both.ref] }],
    ]);
    const fanout = new TickFanout((t) => targets.get(t)!, { clock, source: 'test', bound: 1000 });
    await fanout.publish([data(1, 10), data(2, 20), data(1, 11), data(2, 21), data(1, 12)]);
    await fanout.publish([data(2, 22), data(1, 13)]);
    await waitFor(() => fanout.inFlight === 0, 'every chunk finished');
    expect(cacheA.seen).toEqual(['1@10', '1@11', '1@12', '1@13']);
    expect(onlyA.seen).toEqual(cacheA.seen);
    expect(cacheB.seen).toEqual(['2@20', '2@21', '2@22']);
    expect(both.seen).toEqual(['1@10', '2@20', '1@11', '2@21', '1@12', '2@22', '1@13']);
    expect(fanout.received).toBe(7);
  });

  it('waits while the bound is in flight and goes on once half of it has finished', async () => {
    const { clock, s } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = s.root.spawn<null, TickChunk>({
      name: 'slow',
      behaviour: {
        init: () => null,
        async receive(state, chunk) {
          await gate;
          chunk.next = chunk.indexes.length;
          return state;
        },
      },
    });
    const fanout = new TickFanout(() => ({ own: [slow], shared: [] }), { clock, source: 'test', bound: 4 });
    let returned = false;
    const publishing = fanout.publish([data(1, 1), data(1, 2), data(1, 3), data(1, 4)]).then(() => (returned = true));
    await settle();
    expect(fanout.inFlight).toBe(4);
    expect(returned).toBe(false);
    release();
    await publishing;
    expect(fanout.inFlight).toBe(0);
  });

  it('a tick that keeps failing is dead-lettered alone to market.ticks.dlq as its event; the ticks after it in the chunk are handled', async () => {
    const { clock, transport, s } = setup(3);
    const a = recorder(s, 'strategy', (price) => price === 12);
    const fanout = new TickFanout(() => ({ own: [a.ref], shared: [] }), { clock, source: 'feed/test', bound: 1000 });
    await fanout.publish([data(1, 11), data(1, 12), data(1, 13), data(1, 14)]);
    await waitFor(() => (clock.advance(1000), transport.read(dlqOf(MARKET_TICKS)).length === 1 && fanout.inFlight === 0), 'the dead letter, and the chunk finished');
    expect(a.seen).toEqual(['1@11', '1@13', '1@14']);
    const [dead] = transport.read(dlqOf(MARKET_TICKS));
    const event = JSON.parse(dead!.value!.toString()) as { type: string; source: string; data: MarketTick };
    expect(event).toMatchObject({ type: 'market_tick', source: 'feed/test', data: { instrument_token: 1, last_price: 12 } });
    expect(dead!.key).toBe('1');
    expect(dead!.headers[DLT.originalTopic]).toBe(MARKET_TICKS);
    expect(dead!.headers[DLT.attempts]).toBe('3');
    expect(dead!.headers[DLT.exceptionMessage]).toBe('poison at 12');
  });

  it('a tick that fails once is retried by the fresh state, and the chunk goes on from it', async () => {
    const { clock, s } = setup(3);
    const a = recorder(s, 'strategy', (price, attempt) => price === 12 && attempt === 1);
    const fanout = new TickFanout(() => ({ own: [a.ref], shared: [] }), { clock, source: 'test', bound: 1000 });
    await fanout.publish([data(1, 11), data(1, 12), data(1, 13)]);
    await waitFor(() => (clock.advance(1000), fanout.inFlight === 0), 'the chunk finished');
    expect(a.seen).toEqual(['1@11', '1@12', '1@13']);
  });

  it('failures of different ticks of one chunk are counted apart: each tick that fails once is retried, none dead-lettered', async () => {
    const { clock, transport, s } = setup(3);
    const a = recorder(s, 'strategy', (price, attempt) => [12, 14, 16].includes(price) && attempt === 1);
    const fanout = new TickFanout(() => ({ own: [a.ref], shared: [] }), { clock, source: 'test', bound: 1000 });
    await fanout.publish([11, 12, 13, 14, 15, 16, 17].map((p) => data(1, p)));
    await waitFor(() => (clock.advance(1000), fanout.inFlight === 0), 'the chunk finished');
    expect(a.seen).toEqual(['1@11', '1@12', '1@13', '1@14', '1@15', '1@16', '1@17']);
    expect(transport.read(dlqOf(MARKET_TICKS))).toEqual([]);
  });

  it('a wait for room takes its abort listener with it: a long replay does not pile them up on its signal', async () => {
    const { clock, s } = setup();
    const a = recorder(s, 'slow');
    const fanout = new TickFanout(() => ({ own: [a.ref], shared: [] }), { clock, source: 'test', bound: 2 });
    const abort = new AbortController();
    for (let i = 0; i < 50; i++) await fanout.publish([data(1, 100 + i), data(1, 200 + i)], abort.signal);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
    expect(a.seen).toHaveLength(100);
  });

  it("a chunk sent to a stopped actor is not lost: each of its ticks is a dead letter of market.ticks", async () => {
    const { clock, transport, s } = setup();
    const a = recorder(s, 'gone');
    s.root.remove(a.ref as unknown as Parameters<typeof s.root.remove>[0], new Error('strategy gone stopped'));
    await settle();
    const fanout = new TickFanout(() => ({ own: [a.ref as ActorRef<TickChunk>], shared: [] }), { clock, source: 'test', bound: 1000 });
    await fanout.publish([data(1, 11), data(1, 12)]);
    await waitFor(() => transport.read(dlqOf(MARKET_TICKS)).length === 2 && fanout.inFlight === 0, 'two dead letters, the chunk finished');
    expect(transport.read(dlqOf(MARKET_TICKS)).map((r) => (JSON.parse(r.value!.toString()) as { data: MarketTick }).data.last_price)).toEqual([11, 12]);
  });
});

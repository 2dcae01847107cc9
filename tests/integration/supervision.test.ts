import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryTransport } from '../../src/bus/memory/memory-transport.ts';
import { TestClock } from '../../src/clock.ts';
import { DLT } from '../../src/contracts/dead-letter.ts';
import { INTERNAL_DEAD_LETTERS } from '../../src/contracts/topics.ts';
import { AlphaPandaError, RestartIntensityExceeded } from '../../src/errors.ts';
import type { ActorSystem } from '../../src/app/actor-system.ts';
import type { SupervisionPolicy } from '../../supervisors/policy.ts';
import { makeSystem, makeTransport, waitFor } from '../support/harness.ts';

/** Lets nact's setImmediate-scheduled turns run. */
const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

class Flaky extends AlphaPandaError {
  constructor(what: string) {
    super(`flaky: ${what}`, { retriable: true });
  }
}

describe('supervision', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    await sys?.stop();
    sys = undefined;
  });

  function setup(policy: Partial<SupervisionPolicy>) {
    const clock = new TestClock();
    const transport = makeTransport('memory') as MemoryTransport;
    const fatal: Error[] = [];
    sys = makeSystem(transport, { clock, policy, onFatal: (e) => fatal.push(e), random: () => 0.5 });
    return { clock, transport, fatal, sys };
  }

  /** An actor that counts messages, and throws while `failFor` says so. */
  function flaky(s: ActorSystem, failFor: (msg: string, attempt: number) => boolean, name = 'worker', log: string[] = []) {
    const tries = new Map<string, number>();
    const inits = { count: 0 };
    const ref = s.root.spawn<number, string>({
      name,
      behaviour: {
        init: () => (inits.count++, 0),
        receive: (n, msg) => {
          const attempt = (tries.get(msg) ?? 0) + 1;
          tries.set(msg, attempt);
          if (failFor(msg, attempt)) throw new Flaky(msg);
          log.push(msg);
          return n + 1;
        },
      },
    });
    return { ref, log, inits, tries };
  }

  it('restarts a failing actor after the configured exponential backoff and retries the message first', async () => {
    const { clock, sys: s } = setup({ backoff: { minMs: 100, maxMs: 1000, randomFactor: 0.2, resetAfterMs: 10_000 }, maxAttempts: 5 });
    const { ref, log, inits } = flaky(s, (m, attempt) => m === 'b' && attempt <= 2);
    for (const m of ['a', 'b', 'c']) ref.tell(m);
    await settle();
    expect(log).toEqual(['a']);
    // First restart: 100 ms * (1 + 0.5 * 0.2) = 110 ms. Nothing happens before it is due.
    clock.advance(109);
    await settle();
    expect(inits.count).toBe(1);
    clock.advance(1);
    await settle();
    expect(inits.count).toBe(2);
    // Second failure of 'b': 200 ms * 1.1 = 220 ms.
    clock.advance(219);
    await settle();
    expect(log).toEqual(['a']);
    clock.advance(1);
    await settle();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(inits.count).toBe(3);
  });

  it('dead-letters a message that keeps failing after maxAttempts, with its attempt count, and goes on with the next', async () => {
    const { clock, transport, sys: s } = setup({ maxAttempts: 3 });
    const { ref, log } = flaky(s, (m) => m === 'poison');
    for (const m of ['a', 'poison', 'b']) ref.tell(m);
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(10_000);
    }
    await waitFor(() => (clock.advance(5), transport.read(INTERNAL_DEAD_LETTERS).length === 1), 'the dead letter');
    expect(log).toEqual(['a', 'b']);
    const [dead] = transport.read(INTERNAL_DEAD_LETTERS);
    expect(dead!.value!.toString()).toBe('"poison"');
    expect(dead!.headers[DLT.attempts]).toBe('3');
    expect(dead!.headers[DLT.exceptionClass]).toBe('Flaky');
    expect(dead!.headers[DLT.retriable]).toBe('true');
    expect(dead!.headers[DLT.actorPath]).toMatch(/\/root\/worker$/);
  });

  it('dead-letters a message on its first non-retriable failure', async () => {
    const { clock, transport, sys: s } = setup({ maxAttempts: 5 });
    const ref = s.root.spawn<null, string>({
      name: 'strict',
      behaviour: {
        init: () => null,
        receive: () => {
          throw new AlphaPandaError('bug', { retriable: false });
        },
      },
    });
    ref.tell('x');
    await settle();
    clock.advance(10_000);
    await waitFor(() => (clock.advance(5), transport.read(INTERNAL_DEAD_LETTERS).length === 1), 'the dead letter');
    expect(transport.read(INTERNAL_DEAD_LETTERS)[0]!.headers[DLT.attempts]).toBe('1');
  });

  it('escalates past its restart intensity: children stop, the parent is told, later messages are dead-lettered', async () => {
    const { clock, transport, fatal, sys: s } = setup({ maxRestarts: 2, withinMs: 60_000, maxAttempts: 100 });
    const { ref } = flaky(s, (m) => m === 'poison');
    ref.tell('poison');
    for (let i = 0; i < 4; i++) {
      await settle();
      clock.advance(1_000);
    }
    await settle();
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(RestartIntensityExceeded);
    ref.tell('after');
    await waitFor(() => (clock.advance(5), transport.read(INTERNAL_DEAD_LETTERS).length === 2), 'both dead letters');
    const dead = transport.read(INTERNAL_DEAD_LETTERS).map((r) => [r.value!.toString(), r.headers[DLT.exceptionClass]]);
    expect(dead).toEqual([
      ['"poison"', 'Flaky'],
      ['"after"', 'ActorStoppedError'],
    ]);
  });

  it('restarts every sibling under one_for_all, and only the failing one under one_for_one', async () => {
    for (const strategy of ['one_for_all', 'one_for_one'] as const) {
      const { clock, sys: s } = setup({ strategy, maxAttempts: 5 });
      const a = flaky(s, (m, attempt) => m === 'boom' && attempt === 1, 'a');
      const b = flaky(s, () => false, 'b');
      b.ref.tell('before'); // state is made on the first message; a restarted actor makes it afresh on the next
      a.ref.tell('boom');
      await settle();
      clock.advance(1_000);
      await settle();
      b.ref.tell('after');
      await settle();
      expect(a.inits.count).toBe(2);
      expect(b.inits.count).toBe(strategy === 'one_for_all' ? 2 : 1);
      await sys!.stop();
      sys = undefined;
    }
  });

  it('restarts the failing child and those started after it under rest_for_one', async () => {
    const { clock, sys: s } = setup({ strategy: 'rest_for_one', maxAttempts: 5 });
    const first = flaky(s, () => false, 'first');
    const failing = flaky(s, (m, attempt) => m === 'boom' && attempt === 1, 'failing');
    const last = flaky(s, () => false, 'last');
    for (const x of [first, last]) x.ref.tell('before');
    failing.ref.tell('boom');
    await settle();
    clock.advance(1_000);
    await settle();
    for (const x of [first, last]) x.ref.tell('after');
    await settle();
    expect([first.inits.count, failing.inits.count, last.inits.count]).toEqual([1, 2, 2]);
  });

  it('holds messages that arrive during the backoff and processes them in order after the restart', async () => {
    const { clock, sys: s } = setup({ maxAttempts: 5 });
    const { ref, log } = flaky(s, (m, attempt) => m === 'm1' && attempt === 1);
    ref.tell('m1');
    await settle();
    for (const m of ['m2', 'm3', 'm4']) ref.tell(m);
    await settle();
    expect(log).toEqual([]);
    expect(ref.pending).toBe(4);
    clock.advance(1_000);
    await settle();
    expect(log).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(ref.pending).toBe(0);
  });

  it('does not restart a temporary child; what it held and what is sent later are dead-lettered', async () => {
    const { clock, transport, sys: s } = setup({});
    const children = s.root.childCount;
    const ref = s.root.spawn<null, string>({
      name: 'once',
      restartType: 'temporary',
      behaviour: {
        init: () => null,
        receive: () => {
          throw new Flaky('x');
        },
      },
    });
    ref.tell('first');
    await settle();
    ref.tell('second');
    await waitFor(() => (clock.advance(5), transport.read(INTERNAL_DEAD_LETTERS).length === 2), 'two dead letters');
    expect(s.root.childCount).toBe(children);
  });
});

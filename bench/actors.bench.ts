import nact from 'nact';
import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import { alternate, ratio, type Summary } from './measure.ts';
import { benchSystem } from './system.ts';

export interface ActorFigures {
  readonly messages: number;
  readonly actors: number;
  /** Messages sent to each actor before the event loop turns: 'burst' (all at once), or that many per turn. */
  readonly perTurn: number | 'burst';
  readonly rawNact: Summary;
  readonly supervised: Summary;
  /** supervised / raw nact, medians of the same run. */
  readonly ratio: number;
}

/**
 * Sends `perActor` messages to each of `refs`, `perTurn` at a time to each actor with a turn of the event
 * loop between (how the pipeline's chunks arrive: a few per actor per activation), or all at once; then
 * waits for `finished`.
 */
async function send(tell: (i: number, m: number) => void, actors: number, perActor: number, perTurn: number | 'burst', finished: Promise<void>): Promise<void> {
  const step = perTurn === 'burst' ? perActor : perTurn;
  for (let m = 0; m < perActor; m += step) {
    for (let i = 0; i < actors; i++) for (let k = m; k < Math.min(perActor, m + step); k++) tell(i, k);
    if (perTurn !== 'burst') await new Promise((r) => setImmediate(r));
  }
  await finished;
}

/** Raw nact: stateful actors that count, messages dispatched one by one (nact spends a setImmediate on each). */
function rawNact(actors: number, perActor: number, perTurn: number | 'burst') {
  return {
    units: actors * perActor,
    run: async () => {
      const system = nact.start();
      let left = actors * perActor;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const refs = Array.from({ length: actors }, (_, i) =>
        nact.spawn(
          system,
          (n: number) => {
            if (--left === 0) done();
            return n + 1;
          },
          `a${i}`,
          { initialState: 0 } as Parameters<typeof nact.spawn>[3],
        ),
      );
      const start = performance.now();
      await send((i, m) => nact.dispatch(refs[i]!, m), actors, perActor, perTurn, finished);
      const ms = performance.now() - start;
      nact.stop(system);
      return ms;
    },
  };
}

/** The same workload through supervised cells (tell: one Delivery each; a cell drains its inbox on one nact message). */
function supervised(actors: number, perActor: number, perTurn: number | 'burst') {
  return {
    units: actors * perActor,
    run: async () => {
      const sys = benchSystem(new MemoryTransport());
      let left = actors * perActor;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const refs = Array.from({ length: actors }, (_, i) =>
        sys.root.spawn<number, number>({
          name: `a${i}`,
          behaviour: {
            init: () => 0,
            receive: (n) => {
              if (--left === 0) done();
              return n + 1;
            },
          },
        }),
      );
      const start = performance.now();
      await send((i, m) => refs[i]!.tell(m), actors, perActor, perTurn, finished);
      const ms = performance.now() - start;
      await sys.stop();
      return ms;
    },
  };
}

/** Raw nact against supervised cells, rounds alternating (bench/measure.ts: warm-up, >= 5 timed rounds). */
export async function benchActors(actors: number, perActor: number, perTurn: number | 'burst' = 'burst'): Promise<ActorFigures> {
  const r = await alternate({ rawNact: rawNact(actors, perActor, perTurn), supervised: supervised(actors, perActor, perTurn) });
  return { messages: actors * perActor, actors, perTurn, rawNact: r.rawNact, supervised: r.supervised, ratio: ratio(r.supervised, r.rawNact) };
}

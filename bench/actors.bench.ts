import nact from 'nact';
import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import { benchSystem } from './system.ts';

export interface ActorFigures {
  readonly messages: number;
  readonly actors: number;
  readonly rawNactPerSec: number;
  readonly supervisedPerSec: number;
  readonly ratio: number;
}

/** Raw nact: stateful actors that count, messages dispatched one by one. */
async function rawNact(actors: number, perActor: number): Promise<number> {
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
      { initialState: 0 } as never,
    ),
  );
  const start = process.hrtime.bigint();
  for (let m = 0; m < perActor; m++) for (const ref of refs) nact.dispatch(ref, m);
  await finished;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  nact.stop(system);
  return (actors * perActor) / secs;
}

/** The same workload through supervised cells (tell: one Delivery and one nact message each). */
async function supervised(actors: number, perActor: number): Promise<number> {
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
  const start = process.hrtime.bigint();
  for (let m = 0; m < perActor; m++) for (const ref of refs) ref.tell(m);
  await finished;
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await sys.stop();
  return (actors * perActor) / secs;
}

/** Alternates the two, three rounds each, and keeps each one's best: the machine is shared and noisy. */
export async function benchActors(actors: number, perActor: number): Promise<ActorFigures> {
  let raw = 0;
  let sup = 0;
  for (let round = 0; round < 3; round++) {
    raw = Math.max(raw, await rawNact(actors, perActor));
    sup = Math.max(sup, await supervised(actors, perActor));
  }
  return { messages: actors * perActor, actors, rawNactPerSec: Math.round(raw), supervisedPerSec: Math.round(sup), ratio: +(sup / raw).toFixed(3) };
}

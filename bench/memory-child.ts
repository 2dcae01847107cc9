import nact from 'nact';
import { Pipeline } from '../src/app/pipeline.ts';
import { systemFor } from '../src/app/system.ts';
import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import { systemClock } from '../src/clock.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import { rootLogger } from '../src/log.ts';
import { benchConfig, benchUniverse } from './universe.ts';

/**
 * Run in a child process (`node --expose-gc`), so resident size is this workload's alone: the embedded
 * pipeline with 1,000 strategies over 500 instruments at a steady 10,000 ticks/s and after a flat-out
 * replay, then 100,000 more strategy actors spawned idle: the time to spawn them and the heap each one
 * costs, against raw nact actors spawned in the same process.
 */
const gc = (globalThis as { gc?: () => void }).gc!;
/** Collects until the heap stops moving (within 16 KB), so garbage from one phase is not charged to the next. */
const settle = async () => {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    const now = process.memoryUsage().heapUsed;
    if (Math.abs(now - last) < 16_384) return;
    last = now;
  }
};
const mb = (b: number) => +(b / 2 ** 20).toFixed(1);

const extra = 100_000;
const { catalogue, instances, list } = benchUniverse(500, 1000 + extra);
const config = benchConfig();
const system = systemFor(config, systemClock, rootLogger, (e) => {
  throw e;
}, new MemoryTransport(config.memoryBus));
const pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances.slice(0, 1000) });
// A feed in the process hands its ticks straight to the actors (src/fanout), as `npm start` does.
const publisher = pipeline.direct!;
const market = new SimMarket(list, 'bench-memory', 0.0008);
// Steady: 10,000 ticks/s for 5 s, as a live market might send them.
for (let i = 0; i < 500; i++) {
  await publisher.publish(Array.from({ length: 100 }, () => market.tick(Date.now())));
  await new Promise((r) => setTimeout(r, 10));
}
while (pipeline.ticks < 50_000 || !pipeline.idle) await new Promise((r) => setTimeout(r, 10));
await settle();
const steady = process.memoryUsage();
// Flat out: 50,000 more ticks as fast as the pipeline takes them (a fast replay).
for (let i = 0; i < 50; i++) await publisher.publish(Array.from({ length: 1000 }, () => market.tick(Date.now())));
while (pipeline.ticks < 100_000 || !pipeline.idle) await new Promise((r) => setTimeout(r, 10));
await settle();
const burst = process.memoryUsage();

// Idle strategy actors: spawned, wired into routing, never sent a tick.
const before = process.memoryUsage().heapUsed;
const spawnStart = performance.now();
for (const s of instances.slice(1000)) pipeline.addStrategy(s);
const spawnMs = performance.now() - spawnStart;
await settle();
const strategyBytes = (process.memoryUsage().heapUsed - before) / extra;

// Baseline: raw nact actors with a small state, in the same process.
const nactSystem = nact.start();
const beforeRaw = process.memoryUsage().heapUsed;
const raw = Array.from({ length: extra }, (_, i) => nact.spawn(nactSystem, (s: number) => s + 1, `raw-${i}`, { initialState: 0 } as Parameters<typeof nact.spawn>[3]));
await settle();
const rawBytes = (process.memoryUsage().heapUsed - beforeRaw) / extra;
void raw.length;

pipeline.stop();
await system.stop();
nact.stop(nactSystem);
process.stdout.write(
  `${JSON.stringify({ strategies: 1000, instruments: 500, rssMbSteady10kTicksPerSec: mb(steady.rss), heapUsedMbSteady: mb(steady.heapUsed), rssMbAfterFastReplay: mb(burst.rss), heapUsedMbAfterFastReplay: mb(burst.heapUsed), bytesPerIdleStrategyActor: Math.round(strategyBytes), bytesPerRawNactActor: Math.round(rawBytes), idleActorsSpawned: extra, idleSpawnMs: Math.round(spawnMs) })}\n`,
);
process.exit(0);

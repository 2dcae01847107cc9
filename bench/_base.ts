import '../src/app/pipeline.ts';
import '../src/app/system.ts';
import '../src/feeds/sim.ts';
import './universe.ts';
const gc = (globalThis as any).gc; gc();
const m = process.memoryUsage();
console.log({ rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, ext: m.external / 2 ** 20, ab: m.arrayBuffers / 2 ** 20 });

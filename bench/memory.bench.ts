import { execFileSync } from 'node:child_process';

export interface MemoryFigures {
  readonly strategies: number;
  readonly instruments: number;
  readonly rssMbSteady10kTicksPerSec: number;
  readonly heapUsedMbSteady: number;
  readonly rssMbAfterFastReplay: number;
  readonly heapUsedMbAfterFastReplay: number;
  readonly bytesPerIdleStrategyActor: number;
  readonly bytesPerRawNactActor: number;
  readonly idleActorsSpawned: number;
  /** Time to spawn them all (wired into routing), ms. */
  readonly idleSpawnMs: number;
}

/** Runs bench/memory-child.ts in its own process, so resident size is that workload's alone. */
export function benchMemory(): MemoryFigures {
  const out = execFileSync(process.execPath, ['--expose-gc', 'bench/memory-child.ts'], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
  return JSON.parse(out.trim().split('\n').at(-1)!) as MemoryFigures;
}

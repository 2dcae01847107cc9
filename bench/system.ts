import { MemoryTransport } from '../src/bus/memory/memory-transport.ts';
import type { Transport } from '../src/bus/transport.ts';
import { systemFor } from '../src/app/system.ts';
import type { Config } from '../src/config/schema.ts';
import type { Logger } from '../src/log.ts';
import { systemClock } from '../src/clock.ts';
import { rootLogger } from '../src/log.ts';
import { ActorSystem } from '../src/app/actor-system.ts';
import { DEFAULT_POLICY } from '../supervisors/policy.ts';

/** The actor system every benchmark runs on: default supervision, a short producer linger. */
export function benchSystem(transport: Transport): ActorSystem {
  return new ActorSystem({
    transport,
    clock: systemClock,
    log: rootLogger,
    policy: DEFAULT_POLICY,
    producer: { maxBatch: 1000, retry: { minMs: 100, maxMs: 1000, randomFactor: 0, resetAfterMs: 1000 } },
    onFatal: (e) => {
      throw e;
    },
  });
}

/** The embedded system `config` describes (the in-process bus, a failure thrown) that a pipeline benchmark starts on. */
export function embeddedSystem(config: Config, log: Logger): ActorSystem {
  return systemFor(config, systemClock, log, (e) => {
    throw e;
  }, new MemoryTransport(config.memoryBus));
}

/** A benchmark's log: warnings and worse only. */
export const quietLog = (bench: string): Logger => rootLogger.child({ bench }, { level: 'warn' });

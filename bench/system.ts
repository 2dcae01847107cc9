import type { Transport } from '../src/bus/transport.ts';
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

import { KafkaTransport } from '../bus/kafka/kafka-transport.ts';
import { MemoryTransport } from '../bus/memory/memory-transport.ts';
import type { Transport } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { ActorSystem } from './actor-system.ts';

export function transportFor(config: Config, log: Logger): Transport {
  return config.bus === 'memory' ? new MemoryTransport(config.memoryBus) : new KafkaTransport(config.kafka, log.child({ component: 'kafka' }));
}

/** The actor system the configuration describes. `onFatal` runs if the root supervisor gives up. */
export function systemFor(config: Config, clock: Clock, log: Logger, onFatal: (e: Error) => void, transport: Transport = transportFor(config, log)): ActorSystem {
  return new ActorSystem({ transport, clock, log, policy: config.supervision, producer: config.producer, onFatal });
}

import nact from 'nact';
import { ConsumerActor, type ConsumerOptions } from '../../actors/consumer.ts';
import { DeadLetterActor } from '../../actors/dead-letter.ts';
import { ProducerActor, type ProducerOptions } from '../../actors/producer.ts';
import type { Child, Parent } from '../../supervisors/child.ts';
import type { SupervisionPolicy } from '../../supervisors/policy.ts';
import { Supervisor } from '../../supervisors/supervisor.ts';
import type { Transport } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Delivery } from './delivery.ts';

export interface ActorSystemOptions {
  readonly name?: string;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy: SupervisionPolicy;
  readonly producer: ProducerOptions;
  /** The root supervisor gave up: nothing above it can restart anything. The app shuts down. */
  readonly onFatal: (error: Error) => void;
  readonly random?: () => number;
}

/**
 * The actor system: nact underneath, a root supervisor, the producer actor every output leaves
 * through, the dead-letter actor, and the consumer actors feeding the rest.
 */
export class ActorSystem implements Parent {
  readonly path: string;
  readonly root: Supervisor;
  readonly producer: ProducerActor;
  readonly deadLetters: DeadLetterActor;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly nactSystem: unknown;
  private readonly consumers: ConsumerActor[] = [];
  private stopped = false;

  private readonly options: ActorSystemOptions;

  constructor(options: ActorSystemOptions) {
    this.options = options;
    const name = options.name ?? 'alpha-panda';
    this.path = `/${name}`;
    this.transport = options.transport;
    this.clock = options.clock;
    this.log = options.log;
    this.nactSystem = nact.start({ name } as never);
    const self = this;
    // The producer and dead-letter actors reference each other; the dead-letter actor reaches the producer lazily.
    const outbox = {
      publish: (...a: Parameters<ProducerActor['publish']>) => self.producer.publish(...a),
      get backlog() {
        return self.producer.backlog;
      },
      whenBelow: (n: number, fn: () => void) => self.producer.whenBelow(n, fn),
    };
    this.deadLetters = new DeadLetterActor(this.nactSystem, this.path, outbox, options.clock, options.log.child({ actor: `${this.path}/dead-letters` }));
    this.producer = new ProducerActor(this.nactSystem, this.path, options.transport, this.deadLetters, options.producer, options.clock, options.log.child({ actor: `${this.path}/producer` }));
    this.root = new Supervisor(this.nactSystem, this, { name: 'root', policy: options.policy, random: options.random }, this.env);
  }

  get env() {
    return { clock: this.clock, log: this.log, outbox: this.producer, deadLetters: this.deadLetters };
  }

  /** Starts a consumer actor under `supervisor` (the root by default). */
  async consumer(options: ConsumerOptions, supervisor: Supervisor = this.root): Promise<ConsumerActor> {
    const consumer = new ConsumerActor(supervisor, options, { ...this.env, transport: this.transport });
    supervisor.adopt(consumer);
    await consumer.start();
    this.consumers.push(consumer);
    return consumer;
  }

  childFailed(child: Child, error: unknown, _delivery: Delivery | undefined): void {
    this.log.fatal({ err: asError(error), child: child.path }, 'root supervisor gave up');
    this.options.onFatal(asError(error));
  }

  childExited(child: Child): void {
    this.log.info({ child: child.path }, 'root supervisor exited');
  }

  /** Clean shutdown: consumers stop fetching, drain and commit; outputs are flushed; then disconnect. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.consumers.map((c) => c.stop().catch((e: unknown) => this.log.warn({ err: e }, 'consumer stop failed'))));
    await this.producer.flushed();
    this.producer.close();
    await this.transport.close();
    nact.stop(this.nactSystem as never);
  }
}

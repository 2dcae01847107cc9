import { ConsumerActor, ConsumerBehaviour, type ConsumerOptions } from '../../actors/consumer.ts';
import { DeadLetterActor } from '../../actors/dead-letter.ts';
import { ProducerActor, type ProducerOptions } from '../../actors/producer.ts';
import type { SupervisionPolicy } from '../../supervisors/policy.ts';
import { Supervisor } from '../../supervisors/supervisor.ts';
import type { Transport } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';
import { asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Delivery } from '../runtime/delivery.ts';
import { Cell } from '../runtime/cell.ts';
import { startNact, stopActor, type NactParent } from '../runtime/nact.ts';
import type { DeadLetters } from '../runtime/outbox.ts';
import type { Child, Parent } from '../runtime/supervision.ts';
import { Probes } from '../telemetry/probes.ts';

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
  /** Where dead letters, restarts and latencies are recorded for the metrics; one of its own by default. */
  readonly probes?: Probes;
}

/**
 * The actor system: nact underneath, a root supervisor, and under it the I/O actors every other actor
 * relies on (the producer every output leaves through and the dead-letter actor, supervised like any
 * other cell) and the consumer actors feeding the rest.
 */
export class ActorSystem implements Parent {
  readonly path: string;
  readonly root: Supervisor;
  private readonly io: Supervisor;
  readonly producer: ProducerActor;
  readonly deadLetters: DeadLetterActor;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly log: Logger;
  /** What the actors record for the metrics (src/telemetry/metrics.ts reads it). */
  readonly probes: Probes;
  private readonly nactSystem: NactParent;
  readonly consumers: ConsumerActor[] = [];
  private stopped = false;
  private readonly options: ActorSystemOptions;

  constructor(options: ActorSystemOptions) {
    this.options = options;
    const name = options.name ?? 'alpha-panda';
    this.path = `/${name}`;
    this.transport = options.transport;
    this.clock = options.clock;
    this.log = options.log;
    this.probes = options.probes ?? new Probes();
    this.nactSystem = startNact(name);
    // The producer and the dead-letter actor need each other: the producer reaches it through this.
    const deadLetters: DeadLetters = { send: (d, e, p) => this.deadLetters.send(d, e, p) };
    const random = options.random;
    this.producer = new ProducerActor(options.producer, { transport: options.transport, deadLetters, clock: options.clock, log: options.log.child({ actor: `${this.path}/io/producer` }), ...(random ? { random } : {}) });
    this.deadLetters = new DeadLetterActor(this.producer, options.clock, options.log.child({ actor: `${this.path}/io/dead-letters` }), this.probes);
    const env = { clock: this.clock, log: this.log, outbox: this.producer, deadLetters: this.deadLetters, probes: this.probes };
    // The I/O actors have a supervisor of their own beside the root: when the root gives up and stops
    // its children, what they held still reaches the dead letters and the broker.
    const io = (this.io = new Supervisor(this.nactSystem, this, { name: 'io', policy: options.policy, ...(random ? { random } : {}) }, env));
    this.root = new Supervisor(this.nactSystem, this, { name: 'root', policy: options.policy, ...(random ? { random } : {}) }, env);
    this.producer.attach(io.spawn({ name: 'producer', behaviour: this.producer.behaviour }, { deadLetters: ProducerActor.deadLettersVia(this.deadLetters, options.log) }));
    this.deadLetters.attach(io.spawn({ name: 'dead-letters', behaviour: this.deadLetters.behaviour }, { deadLetters: DeadLetterActor.lastResort(options.log) }));
  }

  get env() {
    return { clock: this.clock, log: this.log, outbox: this.producer, deadLetters: this.deadLetters, probes: this.probes };
  }

  /**
   * Visits every cell's mailbox, the I/O actors' included: its supervisor's name, its own, and the
   * deliveries it has not finished. At scrape time only; it allocates nothing per cell.
   */
  forEachMailbox(visit: (supervisor: string, name: string, pending: number) => void): void {
    const walk = (s: Supervisor) => {
      for (const c of s.members) {
        if (c instanceof Supervisor) walk(c);
        else if (c instanceof Cell) visit(s.name, c.name, c.pending);
      }
    };
    walk(this.io);
    walk(this.root);
  }

  /** Starts a consumer actor (a cell that subscribes at start) under `supervisor` (the root by default). */
  consumer(options: ConsumerOptions, supervisor: Supervisor = this.root): ConsumerActor {
    const behaviour = new ConsumerBehaviour(options, { ...this.env, transport: this.transport });
    const consumer = new ConsumerActor(behaviour, supervisor.spawn({ name: options.name, behaviour }));
    this.consumers.push(consumer);
    return consumer;
  }

  childFailed(child: Child, error: unknown, _delivery: Delivery | undefined): void {
    this.log.fatal({ err: asError(error), child: child.path }, `${child.name} supervisor gave up`);
    this.options.onFatal(asError(error));
  }

  childExited(child: Child): void {
    this.log.info({ child: child.path }, `${child.name} supervisor exited`);
  }

  /**
   * Clean shutdown within `deadlineMs`: consumers stop fetching, drain and commit; outputs are flushed;
   * then disconnect. Past the deadline what is still unsent is given up: its causes stay uncommitted and
   * are delivered again to the next run (at-least-once), so giving up loses nothing.
   */
  async stop(deadlineMs = 10_000): Promise<{ unsent: number }> {
    if (this.stopped) return { unsent: 0 };
    this.stopped = true;
    const deadline = Date.now() + deadlineMs;
    const left = () => Math.max(0, deadline - Date.now());
    this.root.shutdown();
    this.io.shutdown();
    // Consumers drain and commit in half the time; the producer flushes in what is left but a moment.
    const drainMs = left() / 2;
    await within(Promise.all(this.consumers.map((c) => c.stop(drainMs).catch((e: unknown) => this.log.warn({ err: e }, 'consumer stop failed')))), drainMs + 200);
    await within(this.producer.flushed(), Math.max(0, left() - 500));
    const unsent = this.producer.backlog;
    if (unsent > 0) this.log.warn({ unsent, brokerDownForMs: this.transport.health.downFor() }, 'stopping with records the broker has not confirmed: what caused them stays uncommitted and is delivered again on the next start');
    this.producer.close();
    await within(this.transport.close().catch((e: unknown) => this.log.warn({ err: e }, 'transport did not close cleanly')), Math.max(left(), 500));
    stopActor(this.nactSystem);
    return { unsent };
  }
}

/** Waits for `p` at most `ms`; what is not done by then is left to finish (or not) on its own. */
function within(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

import { Counter, Histogram } from 'prom-client';
import type { BrokerNamespace } from '../contracts/topics.ts';
import type { ActorKind } from './actor-kind.ts';

/**
 * Latency buckets in seconds: sub-millisecond to tens of milliseconds for a hop inside one process,
 * up to seconds for a broker hop and a live venue's fill.
 */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * What the actors record as it happens, for what cannot be read off a counter at scrape time: dead
 * letters, restarts and latencies. One per actor system, handed down in the actors' env objects (never
 * a global: tests run several systems in one process). The instruments belong to no registry; each
 * Metrics registry that serves this system registers them (src/telemetry/metrics.ts).
 *
 * Each call is O(1) and rare or once per signal, never once per tick: the tick path records nothing.
 */
export class Probes {
  readonly deadLetters = new Counter({ name: 'alpha_panda_dead_letters_total', help: 'Records published to a dead-letter topic (<topic>.dlq, or internal.dlq), by that topic', labelNames: ['topic'], registers: [] });
  readonly restarts = new Counter({ name: 'alpha_panda_actor_restarts_total', help: 'Actors restarted by their supervisor, by kind of actor', labelNames: ['kind'], registers: [] });
  readonly tickToSignal = new Histogram({ name: 'alpha_panda_tick_to_signal_seconds', help: "From a tick event's creation (its receipt by the feed) to the creation of the signal a strategy made on it", buckets: LATENCY_BUCKETS, registers: [] });
  readonly signalToFill = new Histogram({ name: 'alpha_panda_signal_to_fill_seconds', help: "From a signal event's creation to the creation of each fill of its order, by namespace", labelNames: ['namespace'], buckets: LATENCY_BUCKETS, registers: [] });
  /** The labelled child per namespace, made once: observe then skips building the label object. */
  private readonly fills = new Map<BrokerNamespace, Histogram.Internal<'namespace'>>();

  /** A record went to the dead-letter topic `topic`. */
  deadLettered(topic: string): void {
    this.deadLetters.inc({ topic });
  }

  /** A supervisor restarted an actor of this kind. */
  restarted(kind: ActorKind): void {
    this.restarts.inc({ kind });
  }

  /** A signal was made at `now` on the tick event stamped `tickAt` (its envelope's time, ms since the epoch). */
  signalMade(tickAt: number, now: number): void {
    this.tickToSignal.observe(seconds(now - tickAt));
  }

  /** A fill was made at `now` for a signal made at `signalAt` (both ms since the epoch). */
  filled(ns: BrokerNamespace, signalAt: number, now: number): void {
    let h = this.fills.get(ns);
    if (!h) this.fills.set(ns, (h = this.signalToFill.labels({ namespace: ns })));
    h.observe(seconds(now - signalAt));
  }
}

/** Milliseconds to seconds; a clock step backwards (another host's clock) counts as no time, not as negative. */
const seconds = (ms: number) => (ms > 0 ? ms / 1000 : 0);

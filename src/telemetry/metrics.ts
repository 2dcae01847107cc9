import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Transport } from '../bus/transport.ts';
import type { Clock } from '../clock.ts';
import type { BrokerNamespace } from '../contracts/topics.ts';
import { actorKind, type ActorKind } from './actor-kind.ts';
import { ConsumerLag, type LaggingConsumer } from './consumer-lag.ts';
import type { Probes } from './probes.ts';
import type { PipelineStats } from './stats.ts';

/**
 * What the metrics read of an actor system (src/app/actor-system.ts's ActorSystem is one). Named by
 * shape, not imported: the app sits above telemetry.
 */
export interface MeteredSystem {
  readonly probes: Probes;
  readonly clock: Clock;
  readonly transport: Pick<Transport, 'endOffsets' | 'committed'>;
  readonly consumers: readonly LaggingConsumer[];
  /** Visits every cell's mailbox: the name of its supervisor, its own name, the messages it holds. */
  forEachMailbox(visit: (supervisor: string, name: string, pending: number) => void): void;
}

/** What the metrics read of a pipeline (src/app/pipeline.ts's Pipeline is one). */
export interface MeteredPipeline {
  readonly ticks: number;
  readonly stats: PipelineStats;
  readonly namespaces: readonly BrokerNamespace[];
  /** The mailboxes of actors in other threads (the shards), by kind, as they last reported them. */
  forEachShardMailbox?(visit: (kind: ActorKind, total: number, max: number) => void): void;
}

export interface MetricsOptions {
  /** The process's own metrics (CPU, memory, event loop, GC: prom-client's defaults). Default true. */
  readonly defaults?: boolean;
  /** How long a scrape waits for the broker's end offsets before reporting the last it knows. Default 1000. */
  readonly lagTimeoutMs?: number;
  /** The clock that times that wait; the system's by default. */
  readonly clock?: Clock;
}

/** A registry of this process's metrics: what the HTTP server serves on /metrics. */
export class Metrics {
  readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** The exposition text (Prometheus text format), computed now. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The metrics of one running system and its pipeline, in a registry of their own (never prom-client's
 * global one: tests start several systems in one process). Counters and gauges are read at scrape time
 * from what the actors already count (PipelineStats, the consumers, the mailboxes), so metrics add no
 * work per message; dead letters, restarts and latencies come from the system's Probes. `pipeline` is
 * asked at each scrape: before it has started (or after it stopped) the pipeline's series are left out.
 */
export function pipelineMetrics(system: MeteredSystem, pipeline: () => MeteredPipeline | undefined, opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const lag = new ConsumerLag(system.transport, opts.clock ?? system.clock, opts.lagTimeoutMs ?? 1000);
  // One reading of the lag per scrape, shared by the two metrics made from it.
  let reading: Promise<Map<string, number>> | undefined;
  const readLag = () => (reading ??= lag.read(system.consumers).finally(() => (reading = undefined)));

  // A counter, not a rate: Prometheus derives ticks/s as rate(alpha_panda_ticks_received_total[1m]),
  // and a counter survives missed scrapes and restarts where a gauge of "ticks/s" would not.
  new Counter({
    name: 'alpha_panda_ticks_received_total',
    help: 'Market ticks this process has taken from market.ticks (ticks/s: rate() of this)',
    registers,
    collect() {
      this.reset();
      this.inc(pipeline()?.ticks ?? 0);
    },
  });
  perNamespace('alpha_panda_signals_total', 'Trading signals the strategies here sent, by namespace', (s, ns) => s.sentTo.get(ns) ?? 0);
  perNamespace('alpha_panda_signals_validated_total', 'Signals the risk checker here validated, by namespace', (s, ns) => s.outcomesOf(ns).validated);
  perNamespace('alpha_panda_fills_total', 'Order fills made here, by namespace', (s, ns) => s.outcomesOf(ns).fills);
  byCode('alpha_panda_signals_rejected_total', 'Signals the risk checker here rejected, by namespace and reason code', (s) => s.rejectionsBy);
  byCode('alpha_panda_orders_failed_total', 'Orders that failed here, by namespace and failure code', (s) => s.failuresBy);

  const { probes } = system;
  registry.registerMetric(probes.deadLetters);
  registry.registerMetric(probes.restarts);
  registry.registerMetric(probes.tickToSignal);
  registry.registerMetric(probes.signalToFill);

  const depth = new Map<string, { total: number; max: number }>();
  const mailboxes = () => {
    depth.clear();
    system.forEachMailbox((supervisor, name, pending) => {
      const kind = actorKind(supervisor, name);
      const d = depth.get(kind);
      if (d) [d.total, d.max] = [d.total + pending, Math.max(d.max, pending)];
      else depth.set(kind, { total: pending, max: pending });
    });
    pipeline()?.forEachShardMailbox?.((kind, total, max) => {
      const d = depth.get(kind);
      if (d) [d.total, d.max] = [d.total + total, Math.max(d.max, max)];
      else depth.set(kind, { total, max });
    });
  };
  new Gauge({
    name: 'alpha_panda_mailbox_messages',
    help: 'Messages waiting in or being handled by the actors of a kind, summed over its actors (at scrape time)',
    labelNames: ['kind'],
    registers,
    collect() {
      mailboxes();
      this.reset();
      for (const [kind, d] of depth) this.set({ kind }, d.total);
    },
  });
  new Gauge({
    name: 'alpha_panda_mailbox_max_messages',
    help: 'The fullest mailbox among the actors of a kind (at scrape time)',
    labelNames: ['kind'],
    registers,
    collect() {
      // Walked again rather than shared with the totals: a walk is cheap (a number per cell), and each gauge stays right read alone.
      mailboxes();
      this.reset();
      for (const [kind, d] of depth) this.set({ kind }, d.max);
    },
  });
  new Gauge({
    name: 'alpha_panda_consumer_lag_records',
    help: "Records on a consumer group's assigned partitions it has yet to take: end offset minus its position, summed over partitions (at scrape time)",
    labelNames: ['group'],
    registers,
    async collect() {
      const groups = await readLag();
      this.reset();
      for (const [group, n] of groups) this.set({ group }, n);
    },
  });
  new Counter({
    name: 'alpha_panda_consumer_lag_unanswered_total',
    help: 'Scrapes at which the broker did not give the offsets in time (the lag shown is its last answer)',
    registers,
    async collect() {
      await readLag();
      this.reset();
      this.inc(lag.unanswered);
    },
  });
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry });
  return new Metrics(registry);

  function perNamespace(name: string, help: string, value: (s: PipelineStats, ns: BrokerNamespace) => number): void {
    new Counter({
      name,
      help,
      labelNames: ['namespace'],
      registers,
      collect() {
        this.reset();
        const p = pipeline();
        for (const ns of p?.namespaces ?? []) this.inc({ namespace: ns }, value(p!.stats, ns));
      },
    });
  }

  function byCode(name: string, help: string, counts: (s: PipelineStats) => ReadonlyMap<BrokerNamespace, ReadonlyMap<string, number>>): void {
    new Counter({
      name,
      help,
      labelNames: ['namespace', 'reason_code'],
      registers,
      collect() {
        this.reset();
        const p = pipeline();
        if (!p) return;
        for (const [ns, codes] of counts(p.stats)) for (const [code, n] of codes) this.inc({ namespace: ns, reason_code: code }, n);
      },
    });
  }
}

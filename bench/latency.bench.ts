import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { Kafka, logLevel } from 'kafkajs';
import { Pipeline } from '../src/app/pipeline.ts';
import { systemFor } from '../src/app/system.ts';
import { KafkaTransport } from '../src/bus/kafka/kafka-transport.ts';
import { systemClock } from '../src/clock.ts';
import { decode } from '../src/contracts/codec.ts';
import { MARKET_TICKS, topicsFor } from '../src/contracts/topics.ts';
import { TickPublisher } from '../src/feeds/publisher.ts';
import { SimMarket } from '../src/feeds/sim.ts';
import { rootLogger } from '../src/log.ts';
import { startMockBroker, testBrokerOptions } from '../tests/broker/mock-broker.ts';
import { profiled } from './measure.ts';
import { benchConfig, benchUniverse } from './universe.ts';

/**
 * hdr-histogram-js: the standard HdrHistogram (fixed memory, exact percentiles to 3 significant digits),
 * rather than sorting arrays of samples by hand.
 */
const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
/** The recorder decodes one market tick in this many (the chain's other events all). */
const TICK_SAMPLE = 10;
/** Wall time in microseconds, comparable across clients in this process. */
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export interface LatencyFigures {
  readonly maxWaitTimeMs: number;
  readonly rawHopP50Ms: number;
  readonly rawHopP99Ms: number;
  readonly ticksPerSec: number;
  readonly seconds: number;
  readonly strategies: number;
  readonly instruments: number;
  readonly fills: number;
  readonly tickToFillP50Ms: number;
  readonly tickToFillP99Ms: number;
  /** 4 x the raw hop: a tick reaches a fill through market.ticks, signals.raw, signals.validated, orders.filled. */
  readonly floorP50Ms: number;
  readonly floorP99Ms: number;
  readonly p99OverFloor: number;
  /** Time from the tick to each event of its chain being readable: where the latency accumulates. */
  readonly sinceTickByStage: Record<string, { p50Ms: number; p99Ms: number }>;
  /**
   * The process over the measured seconds: the share of time its event loop was busy (not waiting for
   * I/O), how late timers ran (p50 / p99 / max ms: the queueing every hop pays), the share of time in GC,
   * and CPU time over wall time (above 1: threads beside the event loop, GC helpers and libuv, worked too).
   */
  readonly process: { readonly eventLoopUtilization: number; readonly eventLoopDelayMs: { p50: number; p99: number; max: number }; readonly gcShare: number; readonly cpuCores: number };
}

/** Event-loop utilisation, event-loop delay and GC time of this process between start() and stop(). */
class ProcessLoad {
  private readonly delay = monitorEventLoopDelay({ resolution: 1 });
  private elu = performance.eventLoopUtilization();
  private cpu = process.cpuUsage();
  private startedAt = 0;
  private gcMs = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcMs += e.duration;
  });

  start(): void {
    this.elu = performance.eventLoopUtilization();
    this.cpu = process.cpuUsage();
    this.startedAt = performance.now();
    this.delay.enable();
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): LatencyFigures['process'] {
    const wall = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpu);
    this.delay.disable();
    this.gc.disconnect();
    const ms = (ns: number) => +(ns / 1e6).toFixed(1);
    return {
      eventLoopUtilization: +performance.eventLoopUtilization(this.elu).utilization.toFixed(3),
      eventLoopDelayMs: { p50: ms(this.delay.percentile(50)), p99: ms(this.delay.percentile(99)), max: ms(this.delay.max) },
      gcShare: +(this.gcMs / wall).toFixed(3),
      cpuCores: +((cpu.user + cpu.system) / 1000 / wall).toFixed(2),
    };
  }
}

/** One produce-to-consume hop through raw kafkajs, same broker and maxWaitTimeInMs, ~1,000 messages/s. */
async function rawHop(brokers: string, maxWaitTimeMs: number): Promise<hdr.Histogram> {
  const h = histogram();
  const topic = `hop-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: 'bench-hop', brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  const consumer = kafka.consumer({ groupId: `hop-${randomUUID()}`, maxWaitTimeInMs: maxWaitTimeMs });
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'warm', value: '0' }] });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = nowUs();
      for (const m of batch.messages) if (m.key?.toString() === 'm') h.recordValue(Math.max(1, at - Number(m.value!.toString())));
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 3000; i++) {
    await producer.send({ topic, acks: -1, messages: [{ key: 'm', value: String(nowUs()) }] });
    await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, 4 * maxWaitTimeMs + 200));
  await consumer.disconnect();
  await producer.disconnect();
  return h;
}

/**
 * Tick-to-fill latency of the whole pipeline over the test broker: simulated ticks stamped with the wall
 * clock at publication, `ticksPerSec` of them for `seconds`, through 1,000 strategies on 500 instruments;
 * a fill carries its tick's time (event time travels down the chain), read off paper.orders.filled. The
 * same reader times every stage of the chain (ticks, one in ten; signals, validations) to show where the
 * time goes.
 */
export async function benchLatency(brokers: string, ticksPerSec = 10_000, seconds = 8, maxWaitTimeMs = 20): Promise<LatencyFigures> {
  const hop = await rawHop(brokers, maxWaitTimeMs);
  const { catalogue, instances, list } = benchUniverse(500, 1000);
  const config = benchConfig({ bus: 'kafka', kafka: { ...testBrokerOptions(brokers, maxWaitTimeMs), groupPrefix: `bench-${randomUUID().slice(0, 8)}` } });
  const transport = new KafkaTransport(config.kafka, rootLogger);
  const system = systemFor(config, systemClock, rootLogger, (e) => {
    throw e;
  }, transport);
  const pipeline = await Pipeline.start({ system, config, catalogue, strategies: instances, assignmentTimeoutMs: 120_000 });
  const paper = topicsFor('paper');
  const h = histogram();
  const probes: Record<string, hdr.Histogram> = {};
  let measuring = false;
  const recorder = await transport.subscribe({
    groupId: `latency-${randomUUID()}`,
    topics: [MARKET_TICKS, paper.signalsRaw, paper.signalsValidated, paper.ordersFilled],
    fromBeginning: false,
    onBatch: async (b) => {
      const at = nowUs();
      for (const r of b.records) {
        // The probe runs in the process it measures: decoding all 10,000 ticks a second here cost as much
        // CPU as the pipeline's own tick decoding (CPU profile). One tick in TICK_SAMPLE, by offset, times
        // the first stage as well; the chain's other stages (hundreds of records a second) are all read.
        if (r.topic === MARKET_TICKS && Number(r.offset) % TICK_SAMPLE !== 0) continue;
        const d = decode(r.value, r.topic);
        if (!d.ok || !measuring) continue;
        const e = d.event;
        const ts = e.type === 'market_tick' ? e.data.exchange_timestamp : (e.data as { timestamp: string }).timestamp;
        const hh = (probes[e.type] ??= histogram());
        hh.recordValue(Math.max(1, at - Date.parse(ts) * 1000));
        if (e.type === 'order_filled') h.recordValue(Math.max(1, at - Date.parse(e.data.timestamp) * 1000));
      }
      return b.records.length;
    },
    onAssignment: () => undefined,
    onCrash: (e) => {
      throw e;
    },
  });
  await new Promise((r) => setTimeout(r, 3000)); // the recorder's group joins
  const publisher = new TickPublisher(system.producer, systemClock, 'bench');
  const market = new SimMarket(list, 'bench-latency', 0.0008);
  const stepMs = 10;
  const perStep = Math.round((ticksPerSec * stepMs) / 1000);
  const start = Date.now();
  let warm = false;
  const loop = new ProcessLoad();
  while (Date.now() - start < (seconds + 2) * 1000) {
    // The first 2 s warm the strategies' windows and the JIT; only fills of ticks after that count.
    if (!warm && Date.now() - start > 2000) {
      warm = measuring = true;
      loop.start();
    }
    const due = start + Math.floor((Date.now() - start) / stepMs + 1) * stepMs;
    await publisher.publish(Array.from({ length: perStep }, () => market.tick(Date.now())));
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  const load = loop.stop();
  await pipeline.quiet(500, 30_000);
  measuring = false;
  await recorder.stop();
  const stages = Object.fromEntries(['market_tick', 'trading_signal', 'validated_signal', 'order_filled'].map((t) => [t, { p50Ms: +(probes[t]!.getValueAtPercentile(50) / 1000).toFixed(1), p99Ms: +(probes[t]!.getValueAtPercentile(99) / 1000).toFixed(1) }]));
  pipeline.stop();
  await system.stop();
  const ms = (us: number) => +(us / 1000).toFixed(2);
  const floor50 = 4 * hop.getValueAtPercentile(50);
  const floor99 = 4 * hop.getValueAtPercentile(99);
  return {
    maxWaitTimeMs,
    rawHopP50Ms: ms(hop.getValueAtPercentile(50)),
    rawHopP99Ms: ms(hop.getValueAtPercentile(99)),
    ticksPerSec,
    seconds,
    strategies: 1000,
    instruments: 500,
    fills: h.totalCount,
    tickToFillP50Ms: ms(h.getValueAtPercentile(50)),
    tickToFillP99Ms: ms(h.getValueAtPercentile(99)),
    floorP50Ms: ms(floor50),
    floorP99Ms: ms(floor99),
    p99OverFloor: +(h.getValueAtPercentile(99) / floor99).toFixed(2),
    sinceTickByStage: stages,
    process: load,
  };
}

// `node bench/latency.bench.ts [seconds] [--profile latency]`: this benchmark alone, on a test broker of its own.
if (import.meta.main) {
  const broker = await startMockBroker(1);
  try {
    const seconds = Number(process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : 8);
    console.log(JSON.stringify(await profiled('latency', () => benchLatency(broker.bootstrap, 10_000, seconds)), null, 2));
  } finally {
    await broker.stop();
    process.exit();
  }
}

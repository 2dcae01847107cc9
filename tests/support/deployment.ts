import { KafkaTransport } from '../../src/bus/kafka/kafka-transport.ts';
import { createEvent, type Envelope } from '../../src/contracts/envelope.ts';
import { EventRecord } from '../../src/contracts/event-record.ts';
import { MARKET_TICKS } from '../../src/contracts/topics.ts';
import { derivedId } from '../../src/ids.ts';
import { rootLogger } from '../../src/log.ts';
import type { InstrumentCatalogue } from '../../src/market/instruments.ts';
import { testBrokerOptions, type MockBroker } from '../broker/mock-broker.ts';
import { spawnCli, type RunningCli } from './cli.ts';

/**
 * A Kafka deployment as a user runs one: `alpha-panda run --bus kafka --feed none` processes on the test
 * broker sharing a PostgreSQL database, fed ticks the test publishes (each with an id of its own, so two
 * deployments can be fed the very same ticks).
 */
export function deploymentEnv(broker: MockBroker, databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BUS: 'kafka',
    KAFKA_BROKERS: broker.bootstrap,
    DATABASE_URL: databaseUrl,
    ALPHA_PANDA_DATABASE__ENABLED: 'true',
    LOG_LEVEL: 'info',
    // Quick failover on the test broker: a dead member is noticed in 6 s, a dead leader's lease in 3 s.
    ALPHA_PANDA_KAFKA__SESSION_TIMEOUT_MS: '6000',
    ALPHA_PANDA_KAFKA__HEARTBEAT_INTERVAL_MS: '500',
    ALPHA_PANDA_KAFKA__MAX_WAIT_TIME_MS: '20',
    ALPHA_PANDA_INSTANCE__LEASE_TTL_MS: '3000',
    ALPHA_PANDA_RISK__MARKET_HOURS__ENABLED: 'false',
    ...extra,
  };
}

/** Starts one instance and resolves once it is trading (every consumer group joined). */
export async function startInstance(id: string, env: Record<string, string>, args: string[] = []): Promise<RunningCli> {
  const p = spawnCli(['run', '--feed', 'none', '--no-status', ...args], { ...env, INSTANCE_ID: id });
  await p.waitFor(() => p.err.includes('"msg":"alpha panda running"'), 90_000, `instance ${id} to start`);
  return p;
}

/**
 * A zig-zag market for `symbols`: every instrument moves one tick up, then down, then up..., a tick a
 * second of event time per instrument from `start`, all instruments at each step. Fixed ids.
 */
export function zigzag(catalogue: InstrumentCatalogue, symbols: readonly string[], steps: number, seed: string, start = Date.UTC(2025, 7, 11, 4, 0)): Envelope<'market_tick'>[] {
  const out: Envelope<'market_tick'>[] = [];
  const instruments = symbols.map((s) => catalogue.bySymbolLoose(s)!);
  for (let i = 0; i < steps; i++) {
    const ts = new Date(start + i * 1000).toISOString();
    for (const inst of instruments) {
      const paise = inst.referencePrice + (i % 2 === 0 ? 0 : Math.round(inst.tick * 100) * 2) + Math.floor(i / 10) * Math.round(inst.tick * 100);
      const data = { instrument_token: inst.token, last_price: paise / 100, volume: i + 1, exchange_timestamp: ts, timestamp: ts, simulated: true as const };
      out.push(createEvent({ type: 'market_tick', broker: 'market', source: 'test', key: String(inst.token), data, now: start + i * 1000, id: derivedId(seed, inst.token, i) }));
    }
  }
  return out;
}

/** A producer for the test's own ticks. */
export function tickPublisher(broker: MockBroker) {
  const transport = new KafkaTransport(testBrokerOptions(broker.bootstrap), rootLogger);
  return {
    transport,
    /** Publishes `ticks` at `perSecond` of wall time, in steps of 100 ms; stops early when `until` says so. */
    async publish(ticks: readonly Envelope<'market_tick'>[], perSecond: number, onProgress?: (sent: number) => Promise<void> | void): Promise<void> {
      const step = Math.max(1, Math.round(perSecond / 10));
      for (let i = 0; i < ticks.length; i += step) {
        await transport.send(ticks.slice(i, i + step).map((e) => new EventRecord(MARKET_TICKS, e, {})));
        await onProgress?.(Math.min(ticks.length, i + step));
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => transport.close(),
  };
}

/** The `--json` summary a run prints when it stops. */
export interface RunSummary {
  readonly stoppedBy: string;
  readonly summary: {
    readonly strategies: ReadonlyArray<{ strategy: string; running: boolean; ticks: number; signals: number; fills: number; positions: ReadonlyArray<{ instrument: string; token: number; quantity: number }>; realized: number; unrealized: number; fees: number; net: number; cash: number }>;
    readonly totals: ReadonlyArray<{ namespace: string; fills: number; net: number; cash: number; state: string }>;
  } | null;
}

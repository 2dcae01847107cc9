import { HttpSettings } from '../api/settings.ts';
import { z } from 'zod';
import { SupervisionPolicy } from '../../supervisors/policy.ts';
import { FeeSchedules } from '../execution/fees.ts';
import { PaperSettings } from '../execution/paper-client.ts';
import { RiskLimits } from '../risk/limits.ts';
import { HHMM } from '../market/market-hours.ts';
import { LOG_LEVELS } from '../log.ts';
import { DatabaseSettings } from '../db/settings.ts';
import { TelemetrySettings } from '../telemetry/tracing.ts';
import { ZerodhaSettings } from '../zerodha/settings.ts';

const HostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'expected host:port');
const Ms = z.number().int().min(0);

const Backoff = z.strictObject({ minMs: Ms, maxMs: Ms, randomFactor: z.number().min(0).max(1), resetAfterMs: Ms });

export const Config = z
  .object({
    bus: z.enum(['memory', 'kafka']),
    kafka: z.strictObject({
      brokers: z.array(HostPort).min(1),
      clientId: z.string().min(1),
      groupPrefix: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only'),
      idempotent: z.boolean(),
      createTopics: z.boolean(),
      topicPartitions: z.number().int().positive(),
      replicationFactor: z.number().int().positive(),
      sessionTimeoutMs: Ms,
      heartbeatIntervalMs: Ms,
      maxWaitTimeMs: Ms,
      connectionTimeoutMs: Ms,
      retries: z.number().int().min(0),
      /** A command stops (exit 1) once the broker has been unreachable this long; 0: keep retrying. */
      unreachableExitMs: Ms,
    }),
    /**
     * Worker threads the embedded pipeline's market side (price caches, strategies) is sharded over by
     * instrument: 'auto' is one per core when the simulator feeds the in-process bus, else 1 (Kafka scales
     * by instances; other feeds' ticks would cross threads, which costs more than it saves).
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)], { error: 'auto, or a whole number of threads from 1 to 64' }),
    /** How long a stop (Ctrl-C, SIGTERM, --duration) may take before the process exits anyway. */
    shutdownTimeoutMs: z.number().int().positive(),
    memoryBus: z.strictObject({ partitions: z.number().int().positive(), maxBatch: z.number().int().positive(), retention: z.number().int().positive() }),
    producer: z.strictObject({ maxBatch: z.number().int().positive(), retry: Backoff }),
    consumer: z
      .strictObject({
        mailboxBound: z.number().int().positive(),
        mailboxLowWater: z.number().int().min(0),
        outboxBound: z.number().int().positive(),
        commitIntervalMs: z.number().int().positive(),
      })
      .refine((c) => c.mailboxLowWater < c.mailboxBound, { message: 'mailboxLowWater must be below mailboxBound', path: ['mailboxLowWater'] }),
    supervision: SupervisionPolicy,
    database: DatabaseSettings,
    instance: z.strictObject({
      /** This instance's name in the deployment: its own consumer groups and its lease. Null: the host name. */
      id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash and underscore; at most 64').nullable(),
      /** How long the chain lease lasts without renewal: a dead leader's chain moves after this. */
      leaseTtlMs: z.number().int().min(1000),
      /** How often strategy changes written to the database are looked for and published. */
      outboxPollMs: z.number().int().min(10),
    }),
    recovery: z.strictObject({
      /** A strategy started on an instance (a restart, a move) first replays this much of market.ticks, signals off. */
      warmUpMs: Ms,
      /**
       * On Kafka, how long a strategy taken over waits before its ledger is read back: the instance it moved
       * from stops it on the same rebalance, and its last signals must be on the log first.
       */
      handoverGraceMs: Ms,
    }),
    telemetry: TelemetrySettings,
    http: HttpSettings,
    log: z.strictObject({ level: z.enum(LOG_LEVELS), file: z.string().min(1).nullable() }),
    trading: z.strictObject({
      paperEnabled: z.boolean(),
      liveEnabled: z.boolean(),
      /** Starting cash of each strategy's account, rupees. */
      initialCapital: z.number().positive(),
      strategiesFile: z.string().min(1),
      instrumentsFile: z.string().min(1),
      /** Intraday positions are closed from this time (IST) on real market data; null: never. */
      squareOffAt: HHMM.nullable(),
    }),
    risk: RiskLimits,
    fees: FeeSchedules,
    paper: PaperSettings,
    zerodha: ZerodhaSettings,
    portfolio: z.strictObject({ snapshotIntervalMs: z.number().int().positive() }),
    feed: z.strictObject({
      sim: z.strictObject({
        ticksPerSecond: z.number().positive(),
        /** Instruments beyond those the strategies trade, taken from the catalogue. */
        extraInstruments: z.number().int().min(0),
        seed: z.string().min(1),
        /** Volatility of the random walk per tick, as a fraction of price. */
        volatility: z.number().positive().max(0.05),
        /**
         * realtime: ticks at ticksPerSecond of wall time. fast: as fast as the pipeline takes them, in
         * simulated time (an hour in seconds), for `seconds` of simulated market.
         */
        pace: z.enum(['realtime', 'fast']),
        seconds: z.number().positive().nullable(),
        /** fast: when the simulated market starts (ISO time): the same start, seed and strategies give the same run. Null: now. */
        startAt: z.iso.datetime({ offset: true }).nullable(),
      }),
      replay: z.strictObject({
        /** Paced to real time (x speed), or as fast as the pipeline takes it. */
        pace: z.enum(['fast', 'realtime']),
        speed: z.number().positive(),
        /** Paced replays do not sleep through gaps longer than this (overnight, halts). */
        maxGapMs: z.number().int().min(0),
        /** Ticks an OHLC bar is expanded into: open, the nearer extreme, the other, close. */
        ticksPerBar: z.literal(4),
      }),
    }),
  })
  .strict();

export type Config = z.infer<typeof Config>;

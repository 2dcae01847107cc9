import { z } from 'zod';
import { SupervisionPolicy } from '../../supervisors/policy.ts';

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
    }),
    memoryBus: z.strictObject({ partitions: z.number().int().positive(), maxBatch: z.number().int().positive(), retention: z.number().int().positive() }),
    producer: z.strictObject({ lingerMs: Ms, maxBatch: z.number().int().positive(), retry: Backoff }),
    consumer: z
      .strictObject({
        mailboxBound: z.number().int().positive(),
        mailboxLowWater: z.number().int().min(0),
        outboxBound: z.number().int().positive(),
        commitIntervalMs: z.number().int().positive(),
      })
      .refine((c) => c.mailboxLowWater < c.mailboxBound, { message: 'mailboxLowWater must be below mailboxBound', path: ['mailboxLowWater'] }),
    supervision: SupervisionPolicy,
    database: z.strictObject({ url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').nullable() }),
    telemetry: z.strictObject({
      serviceName: z.string().min(1),
      exporter: z.enum(['none', 'otlp', 'console']),
      otlpEndpoint: z.url(),
    }),
    log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }),
  })
  .strict();

export type Config = z.infer<typeof Config>;

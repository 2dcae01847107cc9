import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, 'mock-broker.c');
const CACHE = join(here, '..', '..', '.cache');

/**
 * Builds (once per source change) and starts librdkafka's mock cluster: a real Kafka-protocol broker
 * on loopback. Needs gcc and librdkafka-dev (Debian), which .ci/run installs.
 */
export function buildMockBroker(): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const binary = join(CACHE, `mock-broker-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const cc = spawnSync('gcc', ['-O2', '-o', binary, SOURCE, '-lrdkafka'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    throw new Error(`could not build the test broker (needs gcc and librdkafka-dev: apt-get install gcc librdkafka-dev):\n${cc.stderr || cc.error}`);
  }
  return binary;
}

/** KafkaTransport settings for the loopback test broker: short fetch waits, quick sessions. */
export function testBrokerOptions(brokers: string, maxWaitTimeMs = 20) {
  return {
    brokers: [brokers],
    clientId: `test-${Math.random().toString(36).slice(2, 8)}`,
    idempotent: false,
    createTopics: false,
    topicPartitions: 4,
    replicationFactor: 1,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs,
    connectionTimeoutMs: 3_000,
    retries: 8,
  };
}

export interface MockBroker {
  readonly bootstrap: string;
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startMockBroker(brokers = 1): Promise<MockBroker> {
  const proc: ChildProcess = spawn(buildMockBroker(), [String(brokers)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: Array<(line: string) => void> = [];
  const queued: string[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queued.push(line);
  });
  const next = () => new Promise<string>((resolve, reject) => {
    const q = queued.shift();
    if (q !== undefined) return resolve(q);
    const timer = setTimeout(() => reject(new Error('test broker did not answer')), 10_000);
    waiting.push((l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const first = await next();
  if (!first.startsWith('bootstrap=')) throw new Error(`test broker said: ${first}`);
  return {
    bootstrap: first.slice('bootstrap='.length),
    async command(line) {
      proc.stdin!.write(`${line}\n`);
      return next();
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin!.end();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          proc.kill('SIGKILL');
          resolve();
        }, 3000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

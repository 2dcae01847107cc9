import type { MessagePort } from 'node:worker_threads';
import { BrokerHealth } from '../../bus/health.ts';
import type { InRecord, OutRecord, ScanRange, SubscribeOptions, Subscription, Transport } from '../../bus/transport.ts';
import { TransportError } from '../../errors.ts';
import type { FromShard, WireRecord } from './protocol.ts';

/**
 * A shard's way out: what its actors publish (signals, dead letters) goes to the main thread, which
 * puts it on the real bus and answers once it is confirmed there. So the shard's producer keeps its
 * usual promise (an output is confirmed before the message that caused it is finished) across the
 * thread boundary. A shard reads no topic: its ticks and outcomes arrive as messages.
 */
export class ShardTransport implements Transport {
  readonly kind = 'memory' as const;
  readonly durable = false;
  readonly health = new BrokerHealth();
  private next = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly port: MessagePort;
  private closed = false;

  constructor(port: MessagePort) {
    this.port = port;
  }

  send(records: readonly OutRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('the shard is stopping: nothing more goes out', { retriable: false }));
    const id = this.next++;
    const wire: WireRecord[] = records.map((r) => ({ topic: r.topic, key: r.key, headers: { ...r.headers }, json: r.event !== undefined ? JSON.stringify(r.event) : r.value.toString('utf8') }));
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ kind: 'send', id, records: wire } satisfies FromShard);
    });
  }

  /** The main thread's answer to a send. */
  answered(id: number, error?: string): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    if (error === undefined) w.resolve();
    else w.reject(new TransportError(`the main thread could not publish: ${error}`, { retriable: true }));
  }

  subscribe(_options: SubscribeOptions): Promise<Subscription> {
    return Promise.reject(new Error('a shard reads no topic: its ticks and outcomes come from the main thread'));
  }

  async partitionCount(): Promise<number> {
    return 1;
  }

  async endOffsets(): Promise<Map<number, bigint>> {
    return new Map();
  }

  async committed(): Promise<Map<number, bigint>> {
    return new Map();
  }

  async scan(_topic: string, _range: ScanRange, _onRecords: (records: readonly InRecord[]) => void): Promise<void> {
    return undefined;
  }

  async ensureTopics(): Promise<void> {
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [id] of this.waiting) this.answered(id, 'the shard stopped');
  }
}

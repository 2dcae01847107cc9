import { Worker } from 'node:worker_threads';
import type { Transport } from '../../bus/transport.ts';
import type { Config } from '../../config/schema.ts';
import { EventRecord } from '../../contracts/event-record.ts';
import type { AnyEnvelope, Envelope } from '../../contracts/envelope.ts';
import { isDlq, type BrokerNamespace } from '../../contracts/topics.ts';
import { partitionOf } from '../../bus/partition.ts';
import { endSend, startSendSpan, type Sending } from '../../telemetry/spans.ts';
import { asError } from '../../errors.ts';
import { isTickChunk, type TickChunk } from '../../fanout/tick-block.ts';
import type { Logger } from '../../log.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { Delivery } from '../../runtime/delivery.ts';
import { DrainWatch } from '../../runtime/drain-watch.ts';
import type { LedgerSnapshot } from '../../strategies/ledger.ts';
import type { FromShard, ShardData, ShardStats, ShardStrategy, SimLanes, TickEventStub, ToShard } from './protocol.ts';
import { encodeTicks } from './tick-codec.ts';

type Message = TickChunk | AnyEnvelope;

export interface ShardLinkOptions {
  readonly index: number;
  readonly config: Config;
  readonly instanceId: string;
  /** Where the shard's records are published (the main thread's bus). */
  readonly transport: Transport;
  readonly log: Logger;
  /** The shard's counters moved. */
  readonly onStats: (s: ShardStats) => void;
  /** The shard failed past its supervisors, or its thread died: the run cannot go on as configured. */
  readonly onFatal: (e: Error) => void;
}

const WORKER = new URL('./worker-main.ts', import.meta.url);

/**
 * The main thread's end of a shard: an actor reference (ticks and outcomes are delivered to it as to
 * any actor) backed by a worker thread. A delivery of ticks is finished when the shard says their
 * block is done (handled, and what it caused confirmed); outcomes and trading states are finished once
 * handed over. The shard's records are published on the main thread's bus, and answered.
 */
export class ShardLink implements ActorRef<Message> {
  readonly path: string;
  pending = 0;
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly options: ShardLinkOptions;
  private readonly waiting = new Map<number, Delivery<Message>[]>();
  private seq = 0;
  private drain: DrainWatch | undefined;
  /** Answers awaited from the shard's simulator, in order. */
  private readonly stepping: Array<() => void> = [];
  private readonly preparing: Array<() => void> = [];
  private stopping: Promise<void> | undefined;
  private exited = false;

  constructor(options: ShardLinkOptions) {
    this.options = options;
    this.path = `/shard-${options.index}`;
    const data: ShardData = { index: options.index, config: options.config, instanceId: options.instanceId };
    this.worker = new Worker(WORKER, { workerData: data, name: `alpha-panda shard ${options.index}` });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (m: FromShard) => (m.kind === 'ready' ? resolve() : reject(new Error(`shard ${options.index} said ${m.kind} before it was ready`))));
      this.worker.once('error', reject);
    });
    this.worker.on('message', (m: FromShard) => this.on(m));
    this.worker.on('error', (e) => this.options.onFatal(new Error(`shard ${options.index} failed: ${asError(e).message}`)));
    this.worker.on('exit', (code) => {
      this.exited = true;
      for (const resolve of [...this.stepping.splice(0), ...this.preparing.splice(0)]) resolve();
      if (!this.stopping) this.options.onFatal(new Error(`shard ${options.index} exited unexpectedly (code ${code})`));
    });
  }

  private post(m: ToShard, transfer?: ArrayBuffer[]): void {
    if (!this.exited) this.worker.postMessage(m, transfer);
  }

  spawn(strategy: ShardStrategy, ledger: LedgerSnapshot | undefined, carry: boolean): void {
    this.post({ kind: 'spawn', strategy, ledger, carry });
  }

  stopStrategy(id: string): void {
    this.post({ kind: 'stop', id });
  }

  /** The simulated market's lanes, and which are this shard's. */
  lanes(lanes: SimLanes): void {
    this.post({ kind: 'lanes', lanes });
  }

  /** The market's ticks `from` to `to` made and handled in the shard (what they caused confirmed). */
  step(from: number, to: number, start: number, ticksPerSecond: number): Promise<void> {
    return this.answer(this.stepping, { kind: 'step', from, to, start, ticksPerSecond });
  }

  /** The ticks made in the shard and held, for `go` to publish. */
  prepare(from: number, to: number, start: number, ticksPerSecond: number): Promise<void> {
    return this.answer(this.preparing, { kind: 'prepare', from, to, start, ticksPerSecond });
  }

  go(): Promise<void> {
    return this.answer(this.stepping, { kind: 'go' });
  }

  run(ticksPerSecond: number): void {
    this.post({ kind: 'run', ticksPerSecond });
  }

  halt(): void {
    this.post({ kind: 'halt' });
  }

  private answer(queue: Array<() => void>, m: ToShard): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      queue.push(resolve);
      this.post(m);
    });
  }

  tell(message: Message): void {
    this.deliver(new Delivery(message));
  }

  deliver(d: Delivery<Message>): void {
    this.deliverBatch([d]);
  }

  deliverBatch(deliveries: Delivery<Message>[]): void {
    let ticks: Delivery<Envelope<'market_tick'>>[] | undefined;
    let outcomes: AnyEnvelope[] | undefined;
    for (const d of deliveries) {
      const m = d.message;
      if (isTickChunk(m)) {
        this.sendChunk(d as Delivery<TickChunk>);
        continue;
      }
      if (m.type === 'market_tick') (ticks ??= []).push(d as Delivery<Envelope<'market_tick'>>);
      else if (m.type === 'trading_state') this.post({ kind: 'state', ns: m.broker as BrokerNamespace, change: m.data });
      else (outcomes ??= []).push(m);
      if (m.type !== 'market_tick') finished(d);
    }
    if (outcomes) this.post({ kind: 'outcomes', events: outcomes });
    if (ticks) this.sendEvents(ticks);
  }

  /** Ticks handed over in process: the chunk's ticks, with their places in the block (their ids). */
  private sendChunk(d: Delivery<TickChunk>): void {
    const { block, indexes } = d.message;
    const { numbers, strings } = encodeTicks(block.ticks, indexes);
    const places = Int32Array.from(indexes, (i) => block.placeOf(i));
    const seq = this.seq++;
    this.await(seq, [d]);
    this.post({ kind: 'ticks', seq, at: block.at, source: block.source, base: block.base, places, numbers, strings }, [numbers.buffer as ArrayBuffer, places.buffer as ArrayBuffer]);
  }

  /** Ticks that came through the log, as events: their ids and times go with them. */
  private sendEvents(ds: Delivery<Envelope<'market_tick'>>[]): void {
    const ticks = ds.map((d) => d.message.data);
    const events: TickEventStub[] = ds.map((d) => ({ id: d.message.id, ts: d.message.ts, source: d.message.source, version: d.message.version }));
    const { numbers, strings } = encodeTicks(ticks);
    const places = Int32Array.from(ticks, (_, i) => i);
    const seq = this.seq++;
    this.await(seq, ds as Delivery<Message>[]);
    this.post({ kind: 'ticks', seq, at: 0, source: '', base: '00000000-0000-4000-8000-000000000000', places, numbers, strings, events }, [numbers.buffer as ArrayBuffer, places.buffer as ArrayBuffer]);
  }

  private await(seq: number, ds: Delivery<Message>[]): void {
    this.waiting.set(seq, ds);
    this.pending += ds.length;
  }

  private on(m: FromShard): void {
    switch (m.kind) {
      case 'done': {
        const ds = this.waiting.get(m.seq) ?? [];
        this.waiting.delete(m.seq);
        this.pending -= ds.length;
        for (const d of ds) finished(d);
        this.drain?.check(this.pending);
        return;
      }
      case 'send':
        void this.publish(m.id, m.records);
        return;
      case 'stats': {
        const { kind: _, ...stats } = m;
        this.options.onStats(stats);
        return;
      }
      case 'fatal': {
        const e = new Error(m.message);
        e.name = m.name;
        e.stack = m.stack;
        this.options.onFatal(e);
        return;
      }
      case 'stepped':
        this.stepping.shift()?.();
        return;
      case 'prepared':
        this.preparing.shift()?.();
        return;
      case 'ready':
        return;
      case 'stopped':
        // Whatever the stopped shard still owed an answer to is answered now: nothing more will come.
        for (const resolve of this.stepping.splice(0)) resolve();
        for (const resolve of this.preparing.splice(0)) resolve();
        return;
    }
  }

  /**
   * The shard's records on the main thread's bus; the shard is told when they are confirmed. A record
   * that starts a chain (a signal) gets its trace here, where the tracer is: its PRODUCER span starts now
   * and ends on confirmation, and everything the chain causes is its child, as if made in this thread.
   */
  private async publish(id: number, records: ReadonlyArray<{ topic: string; key: string; headers: Record<string, string>; json: string }>): Promise<void> {
    const sending: Array<Sending | undefined> = [];
    try {
      const out = records.map((r) => {
        const event = JSON.parse(r.json) as Envelope;
        const starts = event.correlation_id === event.id && event.causation_id !== null && !r.headers.traceparent && !isDlq(r.topic);
        const s = starts ? startSendSpan(r.topic, event, undefined) : undefined;
        sending.push(s);
        return new EventRecord(r.topic, event, s ? { ...r.headers, ...s.headers } : r.headers);
      });
      await this.options.transport.send(out);
      for (let i = 0; i < out.length; i++) {
        const s = sending[i];
        if (s) endSend(s.span, partitionOf(out[i]!.key, await this.partitions(out[i]!.topic)));
      }
      this.post({ kind: 'sent', id });
    } catch (e) {
      for (const s of sending) if (s) endSend(s.span, undefined, e);
      this.post({ kind: 'send-failed', id, message: asError(e).message });
    }
  }

  private readonly partitionCounts = new Map<string, number>();

  private async partitions(topic: string): Promise<number> {
    let n = this.partitionCounts.get(topic);
    if (n === undefined) this.partitionCounts.set(topic, (n = await this.options.transport.partitionCount(topic)));
    return n;
  }

  whenBelow(threshold: number, fn: () => void): void {
    (this.drain ??= new DrainWatch()).add(threshold, fn, this.pending);
  }

  /** Stops the shard: its actors drain and stop, its last counters come in; resolves once its thread has ended (or after `ms`). */
  stop(ms: number): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), ms);
      this.worker.on('message', (m: FromShard) => {
        if (m.kind !== 'stopped') return;
        clearTimeout(timer);
        void this.worker.terminate().then(() => resolve());
      });
      this.worker.once('exit', () => (clearTimeout(timer), resolve()));
      this.post({ kind: 'shutdown', ms: Math.max(200, ms - 300) });
    });
    return this.stopping;
  }
}

/** A delivery whose work is done elsewhere (or needs none here): it finishes now. */
function finished(d: Delivery<Message>): void {
  d.markHandled();
}

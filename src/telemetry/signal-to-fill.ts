import type { BrokerNamespace } from '../contracts/topics.ts';
import type { Probes } from './probes.ts';

/**
 * The signal-to-fill latency of one namespace's chain. A fill names its signal only by correlation id
 * (the signal's own id), and no event after the signal carries the signal's creation time, so the chain
 * notes it as its risk consumer hands the signal over, and each fill made for it is measured from there.
 *
 * Bounded: at most `capacity` signals are remembered, the oldest forgotten first (a rejected signal is
 * never filled, so only the bound removes it; an executed one is forgotten when its execution ends).
 * A fill whose signal this process never saw (made before a restart, or forgotten) is not measured.
 */
export class SignalToFill {
  private readonly made = new Map<string, string>();
  private readonly ns: BrokerNamespace;
  private readonly probes: Probes;
  private readonly capacity: number;

  constructor(ns: BrokerNamespace, probes: Probes, capacity = 50_000) {
    this.ns = ns;
    this.probes = probes;
    this.capacity = capacity;
  }

  /** A signal reached the chain. Keeps the envelope's time string as it is: parsed only if it is filled. */
  signal(id: string, ts: string): void {
    if (this.made.has(id)) return;
    this.made.set(id, ts);
    if (this.made.size > this.capacity) this.made.delete(this.made.keys().next().value!);
  }

  /** A fill of the chain `correlationId` was made at `now`. */
  filled(correlationId: string, now: number): void {
    const ts = this.made.get(correlationId);
    if (ts !== undefined) this.probes.filled(this.ns, Date.parse(ts), now);
  }

  /** The chain's execution ended (filled in full, or failed): no fill of it is to come. */
  ended(correlationId: string): void {
    this.made.delete(correlationId);
  }

  get size(): number {
    return this.made.size;
  }
}

import type { InRecord, Transport } from '../bus/transport.ts';
import { decode } from '../contracts/codec.ts';
import type { AnyEnvelope } from '../contracts/envelope.ts';
import { BROKER_NAMESPACES, topicsFor, type BrokerNamespace, type TopicFamily } from '../contracts/topics.ts';
import { asError, TransportError } from '../errors.ts';
import { signalIdOf } from './chain-view.ts';

/** What a lookup found: the events, and whether it read everything it meant to. */
export interface ChainEvents {
  readonly events: readonly AnyEnvelope[];
  /** Every topic was read to its end within the time limit. */
  readonly complete: boolean;
  /** The topics that could not be read, and why (a time limit reached says so). */
  readonly unread: readonly string[];
}

export interface BusLookupOptions {
  /** Gives up reading after this long; what was found by then is returned, marked incomplete. */
  readonly timeoutMs: number;
  readonly namespaces?: readonly BrokerNamespace[];
}

const LATER: readonly TopicFamily[] = ['signalsValidated', 'signalsRejected', 'ordersSubmitted', 'ordersFilled', 'ordersFailed'];

/**
 * The events of a chain on the log, and of its sibling chains (the same strategy signal in the other
 * namespaces). Bounded: each chain topic is read from its beginning to its end offsets as they were
 * when asked (what is written meanwhile is not waited for), within `timeoutMs`. Two passes: the signal
 * topics first, which name the signal id; then the other chain topics, for everything of those chains.
 * Over Kafka a record is decoded only if its bytes contain one of the ids looked for.
 */
export async function chainEventsOnBus(transport: Transport, id: string, options: BusLookupOptions): Promise<ChainEvents> {
  const namespaces = options.namespaces ?? BROKER_NAMESPACES;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const unread: string[] = [];
  const signalTopics = namespaces.map((ns) => topicsFor(ns).signalsRaw);
  const laterTopics = namespaces.flatMap((ns) => LATER.map((f) => topicsFor(ns)[f]));
  const ends = new Map<string, Map<number, bigint>>();
  await Promise.all(
    [...signalTopics, ...laterTopics].map(async (t) => {
      try {
        ends.set(t, await transport.endOffsets(t));
      } catch (e) {
        unread.push(`${t}: ${asError(e).message}`);
      }
    }),
  );
  if (ends.size === 0) throw new TransportError(`cannot read the chain topics: ${unread[0] ?? 'none'}`, { retriable: true });
  const found = new Map<string, AnyEnvelope>();
  const timedOut = new Promise<'timeout'>((resolve) => (deadline.aborted ? resolve('timeout') : deadline.addEventListener('abort', () => resolve('timeout'), { once: true })));

  const scan = async (topic: string, needles: readonly string[], wanted: (e: AnyEnvelope) => boolean): Promise<void> => {
    const until = ends.get(topic);
    if (!until || until.size === 0 || deadline.aborted) return;
    const bytes = needles.map((n) => Buffer.from(n, 'utf8'));
    const take = (records: readonly InRecord[]) => {
      for (const r of records) {
        const e = eventOf(r, topic, bytes);
        if (e && wanted(e) && !found.has(e.id)) found.set(e.id, e);
      }
    };
    try {
      // A transport that does not see the abort in time is not waited for: the caller closes it.
      await Promise.race([transport.scan(topic, { sinceMs: 0, until }, take, deadline), timedOut]);
    } catch (e) {
      if (!deadline.aborted) unread.push(`${topic}: ${asError(e).message}`);
    }
  };

  await Promise.all(signalTopics.map((t) => scan(t, [id], (e) => e.id === id || e.correlation_id === id || signalIdOf(e) === id)));
  const correlations = new Set([id, ...[...found.values()].map((e) => e.correlation_id)]);
  const signals = new Set([id, ...[...found.values()].map(signalIdOf).filter((s): s is string => s !== null)]);
  await Promise.all(laterTopics.map((t) => scan(t, [...correlations, ...signals], (e) => correlations.has(e.correlation_id) || signals.has(signalIdOf(e) ?? ''))));
  if (deadline.aborted) unread.push(`stopped reading at the time limit (${options.timeoutMs} ms)`);
  return { events: [...found.values()], complete: unread.length === 0, unread };
}

/** The record's event: by reference on the in-process bus; over Kafka decoded, only when it may be one looked for. */
function eventOf(r: InRecord, topic: string, needles: readonly Buffer[]): AnyEnvelope | undefined {
  if (r.event !== undefined) return r.event as AnyEnvelope;
  const value = r.value;
  if (value === null || !needles.some((n) => value.includes(n))) return undefined;
  const d = decode(value, topic);
  return d.ok ? d.event : undefined;
}

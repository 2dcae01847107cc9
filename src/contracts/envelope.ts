import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isoAt } from '../iso-time.ts';
import { BROKER_NAMESPACES, CONTROL_NAMESPACE, MARKET_NAMESPACE, type EnvelopeBroker } from './topics.ts';
import { CURRENT_VERSION, EVENT_TYPES, type EventData, type EventType } from './events.ts';

/** The envelope's own fields, validated before the payload (whose schema depends on type and version). */
export const EnvelopeHeader = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  ts: z.iso.datetime(),
  broker: z.enum([...BROKER_NAMESPACES, MARKET_NAMESPACE, CONTROL_NAMESPACE]),
  source: z.string().min(1),
  key: z.string().min(1),
  correlation_id: z.uuid(),
  causation_id: z.uuid().nullable(),
  data: z.unknown(),
});

export interface Envelope<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly version: number;
  readonly ts: string;
  readonly broker: EnvelopeBroker;
  readonly source: string;
  readonly key: string;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly data: EventData[T];
}

/** A discriminated union over every event type: narrowing on `type` narrows `data`. */
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as string[]).includes(value);
}

export interface NewEvent<T extends EventType> {
  type: T;
  broker: EnvelopeBroker;
  source: string;
  key: string;
  data: EventData[T];
  /** The event that caused this one. Omitted only for roots (a market tick). */
  cause?: Envelope;
  /** Start a new correlation chain even though there is a cause (a signal starts a chain; its tick is its cause). */
  startsChain?: boolean;
  /** Event time in ms since the epoch, from the injected clock. */
  now: number;
  /** An id derived from the cause (src/ids.ts), so that handling the cause again makes the same event. */
  id?: string;
}

/** The only way events are made: ids, version, time and the correlation/causation chain are filled in here. */
export function createEvent<T extends EventType>(e: NewEvent<T>): Envelope<T> {
  const id = e.id ?? randomUUID();
  return {
    id,
    type: e.type,
    version: CURRENT_VERSION[e.type],
    ts: isoAt(e.now),
    broker: e.broker,
    source: e.source,
    key: e.key,
    correlation_id: e.cause && !e.startsChain ? e.cause.correlation_id : id,
    causation_id: e.cause ? e.cause.id : null,
    data: e.data,
  };
}

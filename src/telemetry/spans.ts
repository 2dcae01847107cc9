import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Headers, InRecord } from '../bus/transport.ts';
import type { Envelope } from '../contracts/envelope.ts';
import * as A from './attributes.ts';
import { extractTrace, injectTrace } from './trace-context.ts';

/**
 * The tracer spans start on: the provider startTracing made, or else the API's proxy tracer (a no-op
 * until some provider is registered globally, as a test does with an in-memory exporter).
 */
let tracer: Tracer = trace.getTracer('alpha-panda');

/** startTracing hands its provider's tracer here, and takes it back (undefined) at shutdown. */
export function useTracer(t: Tracer | undefined): void {
  tracer = t ?? trace.getTracer('alpha-panda');
}

/** An actor handling a traced message: its span, and the context what it publishes meanwhile is sent in. */
export interface Handling {
  readonly span: Span;
  readonly context: Context;
}

/** A traced record on its way out: its send span (ended when the broker confirms it) and the headers it carries. */
export interface Sending {
  readonly span: Span;
  readonly headers: Headers;
}

// Attributes are set only on a recording span: with tracing off nothing below allocates them.
function setEventAttributes(span: Span, e: Partial<Envelope> | undefined): void {
  span.setAttribute(A.EVENT_TYPE, e?.type ?? 'unknown');
  span.setAttribute(A.EVENT_ID, e?.id ?? '');
  span.setAttribute(A.CORRELATION_ID, e?.correlation_id ?? '');
  span.setAttribute(A.BROKER, e?.broker ?? '');
}

/**
 * A PRODUCER span, `send <topic>`, for an event being published: the root of a new trace for an event
 * that starts a chain (a signal; `parent` undefined), else a child of the span of the message that
 * caused it. Undefined when a chain starts with tracing off: no trace context is made at all. The span
 * ends when the broker confirms the record (endSend), so its length is the time to confirmation.
 */
export function startSendSpan(topic: string, event: Envelope, parent: Context | undefined): Sending | undefined {
  const name = `send ${topic}`;
  const span = parent ? tracer.startSpan(name, { kind: SpanKind.PRODUCER }, parent) : tracer.startSpan(name, { kind: SpanKind.PRODUCER, root: true });
  if (span.isRecording()) {
    span.setAttribute(A.MESSAGING_SYSTEM, A.KAFKA);
    span.setAttribute(A.MESSAGING_OPERATION_TYPE, 'send');
    span.setAttribute(A.MESSAGING_OPERATION_NAME, 'send');
    span.setAttribute(A.MESSAGING_DESTINATION_NAME, topic);
    span.setAttribute(A.MESSAGING_KAFKA_MESSAGE_KEY, event.key);
    setEventAttributes(span, event);
    if (!parent) span.setAttribute(A.SOURCE, event.source);
  } else if (!parent) {
    return undefined;
  }
  // Not recording with a parent (this process exports nothing, the message came traced): the parent's
  // context is what gets injected, so the trace still runs through.
  return { span, headers: injectTrace(trace.setSpan(parent ?? ROOT_CONTEXT, span), {}) };
}

/** Ends a send span once the record is confirmed (with the partition it went to), or given up (`error`). */
export function endSend(span: Span, partition: number | undefined, error?: unknown): void {
  if (partition !== undefined) span.setAttribute(A.MESSAGING_DESTINATION_PARTITION_ID, String(partition));
  endSpan(span, error);
}

/**
 * The span of an actor handling a traced message, child of the span that sent it: a CONSUMER span,
 * `process <topic>`, for a record a consumer handed over (`record`, read by `groupId`), else an internal
 * one named after the actor. Undefined when the headers carry no valid trace.
 */
export function startHandlingSpan(actorPath: string, actorName: string, record: InRecord | undefined, groupId: string | undefined, message: unknown, traceHeaders: Headers): Handling | undefined {
  const parent = extractTrace(traceHeaders);
  if (!parent) return undefined;
  const event = message as Partial<Envelope> | undefined;
  const span = record ? tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER }, parent) : tracer.startSpan(`${actorName} ${event?.type ?? 'message'}`, { kind: SpanKind.INTERNAL }, parent);
  if (span.isRecording()) {
    setEventAttributes(span, event);
    span.setAttribute(A.ACTOR, actorPath);
    if (record) {
      span.setAttribute(A.MESSAGING_SYSTEM, A.KAFKA);
      span.setAttribute(A.MESSAGING_OPERATION_TYPE, 'process');
      span.setAttribute(A.MESSAGING_OPERATION_NAME, 'process');
      span.setAttribute(A.MESSAGING_DESTINATION_NAME, record.topic);
      span.setAttribute(A.MESSAGING_DESTINATION_PARTITION_ID, String(record.partition));
      span.setAttribute(A.MESSAGING_KAFKA_OFFSET, Number(record.offset));
      if (record.key !== null) span.setAttribute(A.MESSAGING_KAFKA_MESSAGE_KEY, record.key);
      if (groupId) span.setAttribute(A.MESSAGING_CONSUMER_GROUP_NAME, groupId);
    }
  }
  return { span, context: trace.setSpan(parent, span) };
}

export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setAttribute(A.ERROR_TYPE, error instanceof Error ? error.name : 'error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

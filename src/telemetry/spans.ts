import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Headers } from '../bus/transport.ts';
import type { Envelope } from '../contracts/envelope.ts';
import { extractTrace, injectTrace } from './trace-context.ts';

/** The API's proxy tracer: a no-op until a provider is registered (startTracing), then the real one. */
const tracer = trace.getTracer('alpha-panda');

const eventAttributes = (e: Partial<Envelope> | undefined) => ({
  'alpha_panda.event.type': e?.type ?? 'unknown',
  'alpha_panda.event.id': e?.id ?? '',
  'alpha_panda.correlation_id': e?.correlation_id ?? '',
  'alpha_panda.broker': e?.broker ?? '',
});

/**
 * An event that starts a chain (a signal) starts a trace: a short producer span, whose context the event
 * carries. Returns the headers to send it with (empty when tracing is off).
 */
export function startChainTrace(event: Envelope): Headers {
  const span = tracer.startSpan(event.type, { kind: SpanKind.PRODUCER, root: true, attributes: { ...eventAttributes(event), 'alpha_panda.source': event.source } });
  const headers = injectTrace(trace.setSpan(ROOT_CONTEXT, span), {});
  span.end();
  return headers;
}

/**
 * A span for an actor handling a traced message, child of the span that sent it. Returns the span and the
 * headers that what the actor publishes meanwhile must carry; nothing when the message has no trace.
 */
export function startHandlingSpan(actorPath: string, actorName: string, topic: string | undefined, message: unknown, traceHeaders: Headers): { span: Span; headers: Headers } | undefined {
  const parent = extractTrace(traceHeaders);
  if (!parent) return undefined;
  const event = message as Partial<Envelope> | undefined;
  const span = tracer.startSpan(`${actorName} ${event?.type ?? 'message'}`, { kind: SpanKind.CONSUMER, attributes: { ...eventAttributes(event), 'alpha_panda.actor': actorPath, ...(topic ? { 'messaging.system': 'kafka', 'messaging.destination.name': topic } : {}) } }, parent);
  if (!span.isRecording()) return { span, headers: { ...traceHeaders } };
  return { span, headers: injectTrace(trace.setSpan(parent, span), {}) };
}

export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

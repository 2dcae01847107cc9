import { isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/** What a log line about a chain carries, named as OpenTelemetry's log data model names them. */
export interface ChainLogBindings {
  readonly correlation_id: string;
  readonly trace_id?: string;
  readonly span_id?: string;
}

/**
 * The bindings of a log line written while `message` is handled: its correlation id when it is an event
 * (always, traced or not), and the trace and span it is handled in when it carries a trace. Undefined
 * for anything that is not an event (an actor's own commands).
 */
export function chainLogBindings(message: unknown, span: SpanContext | undefined): ChainLogBindings | undefined {
  const correlation = (message as { readonly correlation_id?: unknown } | null | undefined)?.correlation_id;
  if (typeof correlation !== 'string') return undefined;
  if (!span || !isSpanContextValid(span)) return { correlation_id: correlation };
  return { correlation_id: correlation, trace_id: span.traceId, span_id: span.spanId };
}

import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Headers } from '../bus/transport.ts';

/**
 * W3C trace context (`traceparent`, `tracestate`) travels in Kafka headers and inside in-process
 * messages. nact schedules every message with setImmediate, so AsyncLocalStorage context does not
 * survive a hop: the context rides on the message itself (Delivery.trace) instead.
 */
const propagator = new W3CTraceContextPropagator();

/** The trace context carried by a record's headers, or undefined when it has none (or a malformed one). */
export function extractTrace(headers: Headers): Context | undefined {
  if (!headers.traceparent) return undefined;
  const ctx = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

export function spanContextOf(headers: Headers): SpanContext | undefined {
  const ctx = extractTrace(headers);
  return ctx ? trace.getSpanContext(ctx) : undefined;
}

/** Writes `ctx` as W3C headers into `headers` (a no-op for a context without a span). */
export function injectTrace(ctx: Context, headers: Headers): Headers {
  propagator.inject(ctx, headers, defaultTextMapSetter);
  return headers;
}

/** Just the trace headers of an incoming record, to hand on to what it causes. */
export function traceHeaders(headers: Headers): Headers | undefined {
  if (!headers.traceparent) return undefined;
  const out: Headers = { traceparent: headers.traceparent };
  if (headers.tracestate) out.tracestate = headers.tracestate;
  return out;
}

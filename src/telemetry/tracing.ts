import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import type { Logger } from '../log.ts';

/** Tracing settings (`telemetry` in the configuration; OTEL_* variables). */
export const TelemetrySettings = z.strictObject({
  serviceName: z.string().min(1),
  exporter: z.enum(['none', 'otlp', 'console']),
  otlpEndpoint: z.url(),
});
export type TelemetrySettings = z.infer<typeof TelemetrySettings>;

export interface Tracing {
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Span export per OTEL_TRACES_EXPORTER: `otlp` (HTTP to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces: Jaeger,
 * Tempo, an OpenTelemetry collector), `console`, or `none` (the API's no-op tracer: nothing is recorded,
 * and no trace context is started). Spans are batched off the hot path.
 */
export function startTracing(t: TelemetrySettings, log: Logger): Tracing {
  if (t.exporter === 'none') return { shutdown: async () => undefined };
  const exporter = t.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: `${t.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': t.serviceName }), spanProcessors: [new BatchSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  // A tracing backend that is down must never stop trading: a failed flush is a warning.
  return { shutdown: () => provider.shutdown().catch((e: unknown) => log.warn({ err: e, endpoint: t.otlpEndpoint }, 'could not flush spans to the tracing backend')) };
}

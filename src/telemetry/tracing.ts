import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { VERSION } from '../version.ts';
import { SERVICE_INSTANCE_ID, SERVICE_NAME, SERVICE_VERSION } from './attributes.ts';
import { useTracer } from './spans.ts';

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
 * Span export per OTEL_TRACES_EXPORTER: `otlp` (HTTP/JSON to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces:
 * Jaeger, Tempo, an OpenTelemetry collector), `console`, or `none` (the API's no-op tracer: nothing is
 * recorded, and no trace context is started). Spans are batched off the hot path. Every span names the
 * service (`service.name` the configured one, `service.version` this build's) and the instance that made
 * it (`service.instance.id`: `instanceId`, the instance's name in the deployment).
 */
export function startTracing(t: TelemetrySettings, log: Logger, instanceId: string): Tracing {
  if (t.exporter === 'none') return { shutdown: async () => undefined };
  const exporter = t.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: `${t.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  const resource = resourceFromAttributes({ [SERVICE_NAME]: t.serviceName, [SERVICE_VERSION]: VERSION, [SERVICE_INSTANCE_ID]: instanceId });
  const provider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter })] });
  // The system's spans start on this provider's tracer whatever else is registered globally; it is
  // registered too, for libraries that trace through the global API.
  const registered = trace.setGlobalTracerProvider(provider);
  useTracer(provider.getTracer('alpha-panda', VERSION));
  return {
    shutdown: async () => {
      useTracer(undefined);
      if (registered) trace.disable();
      // A tracing backend that is down must never stop trading: a failed flush is a warning.
      await provider.shutdown().catch((e: unknown) => log.warn({ err: e, endpoint: t.otlpEndpoint }, 'could not flush spans to the tracing backend'));
    },
  };
}

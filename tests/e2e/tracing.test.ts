import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { spanContextOf } from '../../src/telemetry/trace-context.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

describe('tracing', () => {
  it('each signal chain is one trace: every event of the chain carries it, and each actor that handled it recorded a span in it', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    const transport = keepOpen(makeTransport('memory'));
    const recorder = await recordTopics(transport, Object.values(topicsFor('paper')).filter((t) => !t.endsWith('snapshots')));
    try {
      const result = await run({ config: testConfig(), feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
      const s = result.pipeline!.stats;
      await waitFor(() => recorder.records.length >= s.signals + s.validated + s.rejected + 2 * s.fills, 'every chain event recorded');
      const events = decodeAll(recorder.records);
      const traceOfChain = new Map<string, string>();
      recorder.records.forEach((r, i) => {
        const ctx = spanContextOf(r.headers);
        expect(ctx, `${events[i]!.type} carries a trace`).toBeDefined();
        const chain = events[i]!.correlation_id;
        if (!traceOfChain.has(chain)) traceOfChain.set(chain, ctx!.traceId);
        expect(ctx!.traceId, `${events[i]!.type} is in its chain's trace`).toBe(traceOfChain.get(chain));
      });
      expect(new Set(traceOfChain.values()).size).toBe(s.signals); // one trace per chain
      const filled = events.find((e) => e.type === 'order_filled')!;
      const spans = exporter.getFinishedSpans().filter((sp) => sp.spanContext().traceId === traceOfChain.get(filled.correlation_id));
      expect(spans.map((sp) => sp.name)).toEqual(expect.arrayContaining(['trading_signal', 'risk trading_signal', 'execution validated_signal', 'portfolio order_filled']));
      const ids = new Set(spans.map((sp) => sp.spanContext().spanId));
      for (const sp of spans) if (sp.name !== 'trading_signal') expect(ids.has(sp.parentSpanContext!.spanId), `${sp.name} has its parent in the trace`).toBe(true);
      expect(exporter.getFinishedSpans().some((sp) => sp.name.includes('market_tick'))).toBe(false); // ticks are not traced
    } finally {
      await recorder.sub.stop();
      await transport.closeNow();
    }
  });
});

import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { spanContextOf } from '../../src/telemetry/trace-context.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

describe('tracing', () => {
  it('each signal chain is one trace of send and process spans, each consumer span the child of the producer span that sent its record', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    const transport = keepOpen(makeTransport('memory'));
    const recorder = await recordTopics(transport, Object.values(topicsFor('paper')).filter((t) => !t.endsWith('snapshots')));
    try {
      const result = await run({ config: testConfig(), feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
      const s = result.pipeline!.stats;
      await waitFor(() => recorder.records.length >= s.signals + s.validated + s.rejected + 2 * s.fills, 'every chain event recorded');
      const events = decodeAll(recorder.records);
      const spans = exporter.getFinishedSpans();
      const byId = new Map(spans.map((sp) => [sp.spanContext().spanId, sp]));
      const parentOf = (sp: ReadableSpan) => (sp.parentSpanContext ? byId.get(sp.parentSpanContext.spanId) : undefined);
      const traceOfChain = new Map<string, string>();
      recorder.records.forEach((r, i) => {
        const e = events[i]!;
        const ctx = spanContextOf(r.headers);
        expect(ctx, `${e.type} carries a trace`).toBeDefined();
        if (!traceOfChain.has(e.correlation_id)) traceOfChain.set(e.correlation_id, ctx!.traceId);
        expect(ctx!.traceId, `${e.type} is in its chain's trace`).toBe(traceOfChain.get(e.correlation_id));
        // The record carries the context of the span that sent it.
        const sender = byId.get(ctx!.spanId);
        expect(sender?.name, `${e.type} was sent in a span of its own`).toBe(`send ${r.topic}`);
        expect(sender!.kind).toBe(SpanKind.PRODUCER);
        expect(sender!.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': r.topic, 'messaging.destination.partition.id': String(r.partition), 'messaging.kafka.message.key': e.key, 'alpha_panda.event.type': e.type, 'alpha_panda.event.id': e.id, 'alpha_panda.correlation_id': e.correlation_id, 'alpha_panda.broker': 'paper' });
      });
      expect(new Set(traceOfChain.values()).size).toBe(s.signals); // one trace per chain

      const filled = events.find((e) => e.type === 'order_filled')!;
      const chain = spans.filter((sp) => sp.spanContext().traceId === traceOfChain.get(filled.correlation_id));
      const topics = topicsFor('paper');
      expect(chain.map((sp) => sp.name)).toEqual(expect.arrayContaining([`send ${topics.signalsRaw}`, `process ${topics.signalsRaw}`, `send ${topics.signalsValidated}`, `process ${topics.signalsValidated}`, `send ${topics.ordersSubmitted}`, `send ${topics.ordersFilled}`, `process ${topics.ordersFilled}`]));
      const roots = chain.filter((sp) => !sp.parentSpanContext);
      expect(roots.map((sp) => sp.name)).toEqual([`send ${topics.signalsRaw}`]);
      for (const sp of chain) {
        if (sp === roots[0]) continue;
        const parent = parentOf(sp);
        expect(parent, `${sp.name} has its parent in the trace`).toBeDefined();
        if (sp.name.startsWith('process ')) {
          const topic = sp.name.slice('process '.length);
          expect(sp.kind).toBe(SpanKind.CONSUMER);
          expect(parent!.name, `${sp.name} is a child of the send of its record`).toBe(`send ${topic}`);
          expect(sp.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.destination.name': topic, 'messaging.consumer.group.name': expect.stringContaining('.'), 'messaging.kafka.message.key': expect.any(String), 'messaging.destination.partition.id': expect.stringMatching(/^\d+$/), 'messaging.kafka.offset': expect.any(Number), 'alpha_panda.correlation_id': filled.correlation_id });
        } else {
          expect(parent!.name, `${sp.name} is sent while its cause is processed`).toMatch(/^process /);
        }
      }
      const risk = chain.find((sp) => sp.name === `process ${topics.signalsRaw}` && String(sp.attributes['alpha_panda.actor']).includes('risk'))!;
      expect(risk.attributes['alpha_panda.risk.decision']).toBe('validated');

      const rejected = events.find((e) => e.type === 'rejected_signal');
      expect(rejected?.type, 'the day has a rejected signal').toBe('rejected_signal');
      if (rejected?.type !== 'rejected_signal') return;
      const judged = spans.find((sp) => sp.spanContext().traceId === traceOfChain.get(rejected.correlation_id) && sp.attributes['alpha_panda.risk.decision'] !== undefined)!;
      expect(judged.attributes).toMatchObject({ 'alpha_panda.risk.decision': 'rejected', 'alpha_panda.risk.reason_code': rejected.data.reason_code });
      expect(spans.some((sp) => sp.name.includes('market.ticks') || sp.attributes['alpha_panda.event.type'] === 'market_tick')).toBe(false); // ticks are not traced
    } finally {
      await recorder.sub.stop();
      await transport.closeNow();
    }
  });
});

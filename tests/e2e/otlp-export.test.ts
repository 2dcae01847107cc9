import { describe, expect, it } from 'vitest';
import { run } from '../../src/app/run.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { rootLogger } from '../../src/log.ts';
import { startTracing } from '../../src/telemetry/tracing.ts';
import { VERSION } from '../../src/version.ts';
import { makeTransport, waitFor } from '../support/harness.ts';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { decodeAll, keepOpen, NIFTY_FEED, recordTopics, testConfig } from '../support/pipeline.ts';

const PRODUCER = 4;
const CONSUMER = 5;

describe('OTLP export', () => {
  it('an OTLP receiver gets every chain over the wire as one trace of send and process spans, with the service and instance as resource', async () => {
    const receiver = await OtlpReceiver.start();
    const transport = keepOpen(makeTransport('memory'));
    const topics = topicsFor('paper');
    const recorder = await recordTopics(transport, [topics.signalsRaw, topics.signalsValidated, topics.signalsRejected, topics.ordersSubmitted, topics.ordersFilled, topics.ordersFailed]);
    const config = testConfig({ telemetry: { exporter: 'otlp', otlpEndpoint: receiver.endpoint, serviceName: 'alpha-panda-otlp-test' } });
    const tracing = startTracing(config.telemetry, rootLogger, 'otlp-instance-7');
    try {
      const result = await run({ config, feed: NIFTY_FEED, stopWhenReplayed: true, status: false, log: rootLogger, transport });
      const s = result.pipeline!.stats;
      await waitFor(() => recorder.records.length >= s.signals + s.validated + s.rejected + 2 * s.fills, 'every chain event recorded');
      await tracing.shutdown(); // flushes the batch processor: everything is on the receiver now
      expect(receiver.requests).toBeGreaterThan(0);
      const events = decodeAll(recorder.records);

      for (const sp of receiver.spans) expect(sp.resource).toMatchObject({ 'service.name': 'alpha-panda-otlp-test', 'service.version': VERSION, 'service.instance.id': 'otlp-instance-7' });
      const byChain = new Map<string, ReceivedSpan[]>();
      for (const sp of receiver.spans) {
        const chain = sp.attributes['alpha_panda.correlation_id'];
        if (typeof chain === 'string') (byChain.get(chain) ?? byChain.set(chain, []).get(chain)!).push(sp);
      }
      const chains = new Set(events.map((e) => e.correlation_id));
      expect(chains.size).toBe(s.signals);
      expect([...byChain.keys()].sort()).toEqual([...chains].sort());
      for (const [chain, spans] of byChain) {
        const traces = new Set(spans.map((sp) => sp.traceId));
        expect(traces.size, `chain ${chain} is one trace`).toBe(1);
        const byId = new Map(spans.map((sp) => [sp.spanId, sp]));
        const roots = spans.filter((sp) => !sp.parentSpanId);
        expect(roots.map((sp) => [sp.name, sp.kind])).toEqual([[`send ${topics.signalsRaw}`, PRODUCER]]);
        for (const sp of spans) {
          if (!sp.name.startsWith('process ')) continue;
          const topic = sp.name.slice('process '.length);
          expect(sp.kind).toBe(CONSUMER);
          expect(byId.get(sp.parentSpanId!)?.name, `${sp.name} is the child of the send of its record`).toBe(`send ${topic}`);
          expect(sp.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.destination.name': topic, 'messaging.destination.partition.id': expect.stringMatching(/^\d+$/), 'messaging.kafka.offset': expect.any(Number), 'messaging.consumer.group.name': expect.any(String), 'messaging.kafka.message.key': expect.any(String) });
        }
      }
      // A filled chain, hop by hop, as a tracing backend shows it.
      const filled = events.find((e) => e.type === 'order_filled')!;
      const spans = byChain.get(filled.correlation_id)!;
      const names = spans.map((sp) => sp.name);
      for (const hop of [topics.signalsRaw, topics.signalsValidated, topics.ordersSubmitted, topics.ordersFilled]) expect(names).toContain(`send ${hop}`);
      for (const hop of [topics.signalsRaw, topics.signalsValidated, topics.ordersFilled]) expect(names).toContain(`process ${hop}`);
      const sendFill = spans.find((sp) => sp.name === `send ${topics.ordersFilled}`)!;
      expect(sendFill.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': topics.ordersFilled, 'messaging.kafka.message.key': filled.key, 'messaging.destination.partition.id': expect.stringMatching(/^\d+$/), 'alpha_panda.event.type': 'order_filled', 'alpha_panda.event.id': filled.id, 'alpha_panda.broker': 'paper' });
      const judged = spans.find((sp) => sp.attributes['alpha_panda.risk.decision'] !== undefined)!;
      expect(judged.name).toBe(`process ${topics.signalsRaw}`);
      expect(judged.attributes['alpha_panda.risk.decision']).toBe('validated');
      expect(receiver.spans.some((sp) => sp.attributes['alpha_panda.event.type'] === 'market_tick')).toBe(false);
    } finally {
      await tracing.shutdown();
      await recorder.sub.stop();
      await transport.closeNow();
      await receiver.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActorSystem } from '../../src/app/actor-system.ts';
import type { InRecord } from '../../src/bus/transport.ts';
import { systemClock } from '../../src/clock.ts';
import { createEvent, type AnyEnvelope, type Envelope } from '../../src/contracts/envelope.ts';
import { topicsFor } from '../../src/contracts/topics.ts';
import { loggerOptions } from '../../src/log.ts';
import { Delivery } from '../../src/runtime/delivery.ts';
import { startSendSpan, useTracer } from '../../src/telemetry/spans.ts';
import { traceHeaders } from '../../src/telemetry/trace-context.ts';
import { SupervisionPolicy } from '../../supervisors/policy.ts';
import { makeTransport, tick, waitFor } from '../support/harness.ts';

const TOPIC = topicsFor('paper').signalsRaw;

/** An actor system whose log lines land in an array, parsed. */
function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(loggerOptions('debug'), { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const sys = new ActorSystem({
    name: `t${randomUUID().slice(0, 8)}`,
    transport: makeTransport('memory'),
    clock: systemClock,
    log,
    policy: SupervisionPolicy.parse({}),
    producer: { maxBatch: 500, retry: { minMs: 50, maxMs: 500, randomFactor: 0, resetAfterMs: 10_000 } },
    onFatal: () => undefined,
  });
  return { lines, log, sys };
}

function signal(): Envelope<'trading_signal'> {
  const t = tick(738561);
  const data = { signal_id: randomUUID(), strategy_id: 'momo', instrument_token: 738561, signal_type: 'BUY' as const, quantity: 1, price: 100, timestamp: t.ts };
  return createEvent({ type: 'trading_signal', broker: 'paper', source: 'strategy/momo', key: 'momo', data, cause: t, startsChain: true, now: Date.now() });
}

/** A record of `event` as a consumer hands it over: from its topic, with the headers it was sent with. */
function delivered(event: AnyEnvelope, headers: Record<string, string>): Delivery<AnyEnvelope> {
  const record: InRecord = { topic: TOPIC, partition: 2, offset: '41', key: event.key, value: null, headers, timestamp: String(Date.now()), event };
  return new Delivery<AnyEnvelope>(event, { record, groupId: 'alpha-panda.paper.risk' }, undefined, traceHeaders(headers));
}

describe('logs about a chain', () => {
  let sys: ActorSystem | undefined;
  afterEach(async () => {
    useTracer(undefined);
    await sys?.stop();
    sys = undefined;
  });

  function logging(s: ActorSystem) {
    return s.root.spawn<null, AnyEnvelope>({ name: 'auditor', behaviour: { init: () => null, receive: (st, m, ctx) => (ctx.log.info({ seen: m.type }, 'handled'), st) } });
  }

  it("carry the event's correlation_id and the trace_id and span_id of the span the actor handled it in", async () => {
    const exporter = new InMemorySpanExporter();
    useTracer(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test'));
    const t = setup();
    sys = t.sys;
    const event = signal();
    const sending = startSendSpan(TOPIC, event, undefined)!;
    sending.span.end();
    logging(t.sys).deliver(delivered(event, sending.headers));
    await waitFor(() => t.lines.some((l) => l.msg === 'handled'), 'the line');
    const line = t.lines.find((l) => l.msg === 'handled')!;
    const handling = exporter.getFinishedSpans().find((sp) => sp.name === `process ${TOPIC}`)!;
    expect(handling.parentSpanContext?.spanId).toBe(sending.span.spanContext().spanId);
    expect(line).toMatchObject({ correlation_id: event.correlation_id, trace_id: sending.span.spanContext().traceId, span_id: handling.spanContext().spanId, actor: expect.stringContaining('auditor'), seen: 'trading_signal' });
  });

  it('carry the trace the event arrived in when this process exports no traces', async () => {
    const t = setup();
    sys = t.sys;
    const event = signal();
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const spanId = '1234567890abcdef';
    logging(t.sys).deliver(delivered(event, { traceparent: `00-${traceId}-${spanId}-01` }));
    await waitFor(() => t.lines.some((l) => l.msg === 'handled'), 'the line');
    expect(t.lines.find((l) => l.msg === 'handled')).toMatchObject({ correlation_id: event.correlation_id, trace_id: traceId, span_id: spanId });
  });

  it('carry the correlation_id of an untraced event, and nothing of a chain for a message that is not an event', async () => {
    const t = setup();
    sys = t.sys;
    const event = signal();
    logging(t.sys).deliver(delivered(event, {}));
    const plain = t.sys.root.spawn<null, string>({ name: 'plain', behaviour: { init: () => null, receive: (st, m, ctx) => (ctx.log.info(`command ${m}`), st) } });
    plain.tell('go');
    await waitFor(() => t.lines.some((l) => l.msg === 'handled') && t.lines.some((l) => l.msg === 'command go'), 'both lines');
    const line = t.lines.find((l) => l.msg === 'handled')!;
    expect(line.correlation_id).toBe(event.correlation_id);
    expect(line).not.toHaveProperty('trace_id');
    expect(t.lines.find((l) => l.msg === 'command go')).not.toHaveProperty('correlation_id');
  });

  it('cost no logger while the actor says nothing, and one per event it logs about', async () => {
    const t = setup();
    sys = t.sys;
    const child = vi.spyOn(t.log, 'child');
    const silent = t.sys.root.spawn<number, AnyEnvelope>({ name: 'silent', behaviour: { init: () => 0, receive: (n) => n + 1 } });
    for (let i = 0; i < 50; i++) silent.deliver(delivered(signal(), { traceparent: `00-aaaabbbbccccddddeeeeffff0000${String(1000 + i)}-1234567890abcdef-01` }));
    await waitFor(() => silent.pending === 0, 'the silent actor done');
    expect(child).not.toHaveBeenCalled();
    const talker = logging(t.sys);
    for (let i = 0; i < 3; i++) talker.deliver(delivered(signal(), {}));
    await waitFor(() => t.lines.filter((l) => l.msg === 'handled').length === 3, 'three lines');
    expect(child).toHaveBeenCalledTimes(1 + 3); // the actor's own logger, then one bound to each event
    expect(new Set(t.lines.filter((l) => l.msg === 'handled').map((l) => l.correlation_id)).size).toBe(3);
  });
});

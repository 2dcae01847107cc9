import { randomUUID } from 'node:crypto';
import type { OutRecord, Transport } from '../../src/bus/transport.ts';
import { encode } from '../../src/contracts/codec.ts';
import type { Envelope } from '../../src/contracts/envelope.ts';
import { delegate } from './harness.ts';

/**
 * At-least-once delivery made to happen on purpose: every record sent to one of `topics` is sent again
 * unchanged (a redelivery: the same envelope id), and, when `reEnvelope`, once more under a new envelope
 * id (the same fill re-published, as a producer retry without idempotence or a reconciliation would).
 * The copies go through the real bus (the test broker, or the in-process log).
 */
export function redelivering(t: Transport, topics: readonly string[], reEnvelope: boolean): Transport & { copies: number } {
  const wrapped = {
    ...delegate(t),
    copies: 0,
    send: (records: readonly OutRecord[]) => {
      const extra: OutRecord[] = [];
      for (const r of records) {
        if (!topics.includes(r.topic)) continue;
        extra.push({ topic: r.topic, key: r.key, value: r.value, headers: r.headers, ...(r.event ? { event: r.event } : {}) });
        if (reEnvelope && r.event) {
          const event = { ...(r.event as Envelope), id: randomUUID() };
          extra.push({ topic: r.topic, key: r.key, value: encode(event), headers: r.headers, event });
        }
      }
      wrapped.copies += extra.length;
      return t.send([...records, ...extra]);
    },
  };
  return wrapped;
}

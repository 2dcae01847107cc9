import type { z } from 'zod';
import { DecodeError } from '../errors.ts';
import { CURRENT_VERSION, EVENT_SCHEMAS, UPCAST } from './events.ts';
import { EnvelopeHeader, isEventType, type AnyEnvelope, type Envelope } from './envelope.ts';
import { expectedTypeOf } from './topics.ts';

export { expectedTypeOf };

export type Decoded = { ok: true; event: AnyEnvelope } | { ok: false; error: DecodeError };

export function encode(event: Envelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}

function firstIssue(error: z.ZodError, prefix: string): { path: string; message: string } {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return { path, message: `${path || '(root)'}: ${issue.message}` };
}

/**
 * Bytes -> a typed event, or a typed decode error saying what is wrong: not JSON, a schema violation
 * (with its path), an unknown type, an unsupported version, or a type that does not belong on the topic.
 */
export function decode(bytes: Buffer | string | null, topic: string): Decoded {
  if (bytes === null) return fail('not_json', 'message has no value');
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    return fail('not_json', `value is not JSON: ${(e as Error).message}`);
  }
  const header = EnvelopeHeader.safeParse(raw);
  if (!header.success) {
    const { path, message } = firstIssue(header.error, '');
    return fail('schema_violation', `envelope ${message}`, path);
  }
  const { type, version, data } = header.data;
  if (!isEventType(type)) return fail('unknown_type', `unknown event type '${type}'`, 'type');
  const expected = expectedTypeOf(topic);
  if (expected && expected !== type) return fail('wrong_topic', `event type '${type}' does not belong on ${topic} (expects '${expected}')`, 'type');
  const schema = (EVENT_SCHEMAS[type] as Record<number, z.ZodType>)[version];
  if (!schema) return fail('unsupported_version', `${type} version ${version} is not supported`, 'version');
  const payload = schema.safeParse(data);
  if (!payload.success) {
    const { path, message } = firstIssue(payload.error, 'data');
    return fail('schema_violation', `${type} v${version} ${message}`, path);
  }
  const upcast = (UPCAST[type] as Record<number, (d: unknown) => unknown> | undefined)?.[version];
  if (upcast) return { ok: true, event: { ...header.data, type, version: CURRENT_VERSION[type], data: upcast(payload.data) } as AnyEnvelope };
  return { ok: true, event: { ...header.data, type, data: payload.data } as AnyEnvelope };
}

function fail(kind: DecodeError['kind'], message: string, path?: string): Decoded {
  return { ok: false, error: new DecodeError(kind, message, path) };
}

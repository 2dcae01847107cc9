import { z } from 'zod';
import { DecodeError } from '../errors.ts';
import { CURRENT_VERSION, EVENT_SCHEMAS, UPCAST, type EventType } from './events.ts';
import { EnvelopeHeader, isEventType, type AnyEnvelope, type Envelope } from './envelope.ts';
import { expectedTypeOf } from './topics.ts';

export { expectedTypeOf };

export type Decoded = { ok: true; event: AnyEnvelope } | { ok: false; error: DecodeError };

export function encode(event: Envelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/**
 * One event type and version as a whole record: the envelope with `type` and `version` fixed and `data`
 * its payload. It accepts exactly what decodeWithZod accepts for that type and version (on a topic that
 * carries it), and its output is the event decodeWithZod returns before upcasting.
 */
export function envelopeSchema(type: EventType, version: number): z.ZodType {
  const payload = (EVENT_SCHEMAS[type] as Record<number, z.ZodType>)[version];
  if (!payload) throw new RangeError(`${type} has no version ${version}`);
  return EnvelopeHeader.extend({ type: z.literal(type), version: z.literal(version), data: payload });
}

/**
 * A type's and version's whole-record schema as decode runs it: compiled by zod (`z.compile`) on first
 * use, so start-up pays for none; or, when zod cannot compile it, the schema itself with the reason.
 */
export interface RecordSchema {
  readonly type: EventType;
  readonly version: number;
  readonly schema: z.ZodType;
  /** Why zod could not compile it (it then runs on zod's runtime parser, as before); undefined when compiled. */
  readonly notCompiled: string | undefined;
}

function compileRecord(type: EventType, version: number): RecordSchema {
  const schema = envelopeSchema(type, version);
  try {
    return { type, version, schema: z.compile(schema, { strict: true }), notCompiled: undefined };
  } catch (e) {
    return { type, version, schema, notCompiled: (e as Error).message };
  }
}

const RECORD_SCHEMAS = new Map<string, Map<number, () => RecordSchema>>(
  Object.entries(EVENT_SCHEMAS).map(([type, versions]) => [
    type,
    new Map(
      Object.keys(versions).map((v) => {
        let got: RecordSchema | undefined;
        return [Number(v), () => (got ??= compileRecord(type as EventType, Number(v)))];
      }),
    ),
  ]),
);

/** Every type's and version's schema as decode runs it (tests, and the README's account). */
export function recordSchemas(): RecordSchema[] {
  return [...RECORD_SCHEMAS.values()].flatMap((versions) => [...versions.values()].map((get) => get()));
}

/** The schema of the type and version a parsed record claims; undefined when it claims none known. */
function schemaFor(raw: unknown): z.ZodType | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { type, version } = raw as { type?: unknown; version?: unknown };
  if (typeof type !== 'string' || typeof version !== 'number') return undefined;
  return RECORD_SCHEMAS.get(type)?.get(version)?.().schema;
}

function firstIssue(error: z.ZodError, prefix: string): { path: string; message: string } {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return { path, message: `${path || '(root)'}: ${issue.message}` };
}

/**
 * Bytes -> a typed event, or a typed decode error saying what is wrong: not JSON, a schema violation
 * (with its path), an unknown type, an unsupported version, or a type that does not belong on the topic.
 *
 * Every record from Kafka comes through here. The hot path parses the whole record with the schema of the
 * type and version it claims, compiled by zod: the same verdict and the same value as zod's parse, from
 * generated straight-line code instead of a walk over the schema tree per value (on a tick with depth,
 * validation at about a tenth of the runtime parser's cost, and a fifth of its allocation; JSON.parse is
 * now most of what is left: bench/codec.bench.ts). A record it refuses (rare: a bug or a poison message)
 * is decided again by decodeWithZod, which names what is wrong exactly as before.
 */
export function decode(bytes: Buffer | string | null, topic: string): Decoded {
  if (bytes === null) return fail('not_json', 'message has no value');
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    return fail('not_json', `value is not JSON: ${(e as Error).message}`);
  }
  const parsed = schemaFor(raw)?.safeParse(raw);
  if (!parsed?.success) return decodeWithZod(raw, topic);
  const event = parsed.data as AnyEnvelope;
  const expected = expectedTypeOf(topic);
  if (expected && expected !== event.type) return wrongTopic(event.type, topic, expected);
  const upcast = (UPCAST[event.type] as Record<number, (d: unknown) => unknown> | undefined)?.[event.version];
  if (upcast) return { ok: true, event: { ...event, version: CURRENT_VERSION[event.type], data: upcast(event.data) } as AnyEnvelope };
  return { ok: true, event };
}

/** The same decision by zod's runtime parser alone: what explains a refusal, and the reference the compiled path is tested against. */
export function decodeWithZod(raw: unknown, topic: string): Decoded {
  const header = EnvelopeHeader.safeParse(raw);
  if (!header.success) {
    const { path, message } = firstIssue(header.error, '');
    return fail('schema_violation', `envelope ${message}`, path);
  }
  const { type, version, data } = header.data;
  if (!isEventType(type)) return fail('unknown_type', `unknown event type '${type}'`, 'type');
  const expected = expectedTypeOf(topic);
  if (expected && expected !== type) return wrongTopic(type, topic, expected);
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

function wrongTopic(type: string, topic: string, expected: EventType): Decoded {
  return fail('wrong_topic', `event type '${type}' does not belong on ${topic} (expects '${expected}')`, 'type');
}

function fail(kind: DecodeError['kind'], message: string, path?: string): Decoded {
  return { ok: false, error: new DecodeError(kind, message, path) };
}

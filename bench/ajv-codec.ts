import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';

/**
 * The usual alternative to zod's own compiler, measured beside it in bench/codec.bench.ts: the record
 * schema turned into JSON Schema by `z.toJSONSchema` and compiled by ajv 8 (Ajv2020). It is what the
 * decode path would be had zod no compiler; src/contracts/codec.ts uses `z.compile` instead, which gives
 * zod's value by construction (a fresh object in the schema's key order) with no translation to keep right.
 *
 * A translation has to give zod's verdict and zod's value, and JSON Schema cannot say everything zod can,
 * so the schema is first walked (`unsupported`) and only what is known to translate exactly is compiled.
 * Run against tests/unit/codec-parity.test.ts's samples and mutations it agreed with zod everywhere but
 * one place it defers on purpose (a `__proto__` key in a record). What translates, and how:
 * - objects strip unknown keys, as z.object does: each gets `additionalProperties: false`, which under
 *   ajv's `removeAdditional: true` deletes the extra keys in place instead of refusing them. Strict and
 *   loose objects (which refuse or keep extra keys) are not compiled.
 * - string formats (uuid, ISO date-time, ...) are checked by the very RegExp zod uses, emitted as
 *   `pattern` and compiled without the `u` flag, as zod runs it; `format` itself is only a label here.
 * - string lengths count code points (a surrogate pair is one), in zod 4 as in ajv.
 * - integers: zod's `.int()` is a safe integer, emitted with its bounds.
 * - `.refine(fn)` on a number or string: zod's JSON Schema drops it; here it becomes the keyword
 *   `x-zod-refine`, which calls the same function.
 * - discriminated unions pick their branch by the tag (ajv's `discriminator`), so stripping in one
 *   branch never touches the value another branch sees; other unions may hold only primitives.
 * - records with string keys: zod's output drops a `__proto__` key, so a compiled record refuses one.
 * Transforms, defaults, coercion, catch, pipes, lazy and readonly schemas, refinements on objects or
 * with a `when`, superRefine, and every other type are not compiled. The value it leaves is the parsed
 * object itself, stripped in place: equal to zod's, with the keys in the order they came on the wire.
 */

/** Checks a value parsed from JSON; when it passes, unknown keys have been stripped from it in place. */
export type Check = (value: unknown) => boolean;

export type Compiled = { readonly ok: true; readonly check: Check; readonly jsonSchema: Record<string, unknown> } | { readonly ok: false; readonly reason: string };

/** String formats zod checks by its pattern alone (others, like url or base64, run code of their own). */
const PATTERN_FORMATS = new Set(['uuid', 'guid', 'datetime', 'date', 'time', 'regex']);
/** Number formats zod checks as integer or float bounds, which its JSON Schema states. */
const NUMBER_FORMATS = new Set(['safeint', 'int32', 'uint32']);

const REFINE = 'x-zod-refine';
/** The refinement functions the compiled schemas call, by the index their `x-zod-refine` keyword holds. */
const refinements: Array<(value: unknown) => unknown> = [];
const refinementIds = new Map<unknown, number>();
const refinementId = (fn: (value: unknown) => unknown) => refinementIds.get(fn) ?? refinementIds.set(fn, refinements.push(fn) - 1).get(fn)!;

type Def = {
  type: string;
  checks?: Array<{ _zod: { def: Record<string, unknown> } }>;
  coerce?: boolean;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  values?: unknown[];
  entries?: Record<string, unknown>;
  format?: string;
  pattern?: RegExp;
  check?: string;
};

const defOf = (s: unknown) => (s as { _zod: { def: Def } })._zod.def;

const isRefine = (c: Record<string, unknown>) => c.check === 'custom' && c.type === 'custom' && typeof c.fn === 'function' && c.when === undefined;

/** Why `schema` cannot be compiled to a check with zod's verdict and value, or undefined when it can. */
export function unsupported(schema: z.ZodType, path = '(root)'): string | undefined {
  const def = defOf(schema);
  const at = (why: string) => `${path}: ${why}`;
  if (def.coerce) return at(`coerced ${def.type}`);
  for (const c of def.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === 'custom') {
      if (!isRefine(cd)) return at('a superRefine, check or conditional refinement');
      if (def.type !== 'number' && def.type !== 'string') return at(`a refinement of a ${def.type}`);
    } else if (cd.check === 'string_format') {
      if (!PATTERN_FORMATS.has(cd.format as string)) return at(`string format ${String(cd.format)}`);
      if ((cd.pattern as RegExp).flags !== '') return at(`a pattern with flags /${(cd.pattern as RegExp).flags}`);
    } else if (cd.check === 'number_format') {
      if (!NUMBER_FORMATS.has(cd.format as string)) return at(`number format ${String(cd.format)}`);
    } else if (!['min_length', 'max_length', 'length_equals', 'greater_than', 'less_than'].includes(cd.check as string)) {
      return at(`check ${String(cd.check)}`);
    }
  }
  switch (def.type) {
    case 'string':
      if (def.format !== undefined && !PATTERN_FORMATS.has(def.format)) return at(`string format ${def.format}`);
      if (def.pattern && def.pattern.flags !== '') return at(`a pattern with flags /${def.pattern.flags}`);
      return undefined;
    case 'number':
      return def.format !== undefined && !NUMBER_FORMATS.has(def.format) ? at(`number format ${def.format}`) : undefined;
    case 'boolean':
    case 'null':
    case 'unknown':
    case 'any':
      return undefined;
    case 'literal':
      return def.values!.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)) ? undefined : at('a literal that is not a JSON value');
    case 'enum':
      return Object.values(def.entries!).every((v) => typeof v === 'string' || typeof v === 'number') ? undefined : at('an enum of other than strings and numbers');
    case 'optional':
    case 'nullable':
      return unsupported(def.innerType!, path);
    case 'array':
      return unsupported(def.element!, `${path}[]`);
    case 'object':
      if (def.catchall !== undefined) return at('a strict or loose object (only stripping objects are compiled)');
      for (const [key, value] of Object.entries(def.shape!)) {
        const why = unsupported(value, `${path}.${key}`);
        if (why) return why;
      }
      return undefined;
    case 'record':
      if (defOf(def.keyType!).type !== 'string' || (defOf(def.keyType!).checks?.length ?? 0) > 0 || defOf(def.keyType!).format !== undefined) return at('a record whose keys are not plain strings');
      return unsupported(def.valueType!, `${path}{}`);
    case 'union':
      if (def.discriminator !== undefined) return discriminated(def, path);
      for (const [i, option] of def.options!.entries()) {
        if (!primitive(option)) return at('a union with an object or array option that has no discriminator');
        const why = unsupported(option, `${path}|${i}`);
        if (why) return why;
      }
      return undefined;
    default:
      return at(`a ${def.type} schema`);
  }
}

/** A discriminated union: every option an object whose tag is a string literal. */
function discriminated(def: Def, path: string): string | undefined {
  const tag = def.discriminator!;
  for (const [i, option] of def.options!.entries()) {
    const od = defOf(option);
    const tagDef = od.type === 'object' ? od.shape?.[tag] && defOf(od.shape[tag]) : undefined;
    if (!tagDef || tagDef.type !== 'literal' || !tagDef.values!.every((v) => typeof v === 'string')) return `${path}|${i}: a discriminated union option without a string literal '${tag}'`;
    const why = unsupported(option, `${path}|${i}`);
    if (why) return why;
  }
  return undefined;
}

function primitive(schema: z.ZodType): boolean {
  const def = defOf(schema);
  if (def.type === 'optional' || def.type === 'nullable') return primitive(def.innerType!);
  if (def.type === 'union') return def.options!.every(primitive);
  return ['string', 'number', 'boolean', 'null', 'literal', 'enum'].includes(def.type);
}

/**
 * The JSON Schema ajv compiles: zod's own, with the adjustments above. Exported so a reader (or a schema
 * registry) can see what is checked.
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: 'output',
    override: ({ zodSchema, jsonSchema }) => {
      const def = defOf(zodSchema);
      const json = jsonSchema as Record<string, unknown>;
      // Under removeAdditional, `false` strips the extra keys: z.object's behaviour.
      if (def.type === 'object') json.additionalProperties = false;
      if (def.type === 'record') json.propertyNames = { ...(json.propertyNames as object), not: { const: '__proto__' } };
      if (def.type === 'union' && def.discriminator !== undefined) {
        json.type = 'object';
        json.discriminator = { propertyName: def.discriminator };
      }
      const refines = (def.checks ?? []).map((c) => c._zod.def).filter(isRefine);
      if (refines.length > 0) json[REFINE] = refines.map((c) => refinementId(c.fn as (v: unknown) => unknown));
    },
  }) as Record<string, unknown>;
}

const ajv = new Ajv2020({
  strict: true,
  allErrors: false,
  messages: false,
  removeAdditional: true,
  discriminator: true,
  // zod's patterns are plain RegExps: no `u` flag.
  unicodeRegExp: false,
  // Formats are labels: zod's pattern for each is emitted beside it and does the checking.
  formats: { uuid: true, guid: true, 'date-time': true, date: true, time: true, regex: true },
});

ajv.addKeyword({
  keyword: REFINE,
  type: ['number', 'string'],
  schemaType: 'array',
  compile(ids: number[]) {
    const fns = ids.map((i) => refinements[i]!);
    // As zod's refine: a falsy answer refuses; a promise (an async refinement) is refused, and zod,
    // asked next, throws for it as it always has in a synchronous parse.
    return (value: unknown) => fns.every((fn) => {
      const r = fn(value);
      return r instanceof Promise ? false : Boolean(r);
    });
  },
});

/** Compiles `schema`, or says why it cannot be compiled faithfully (its caller then keeps zod). */
export function compile(schema: z.ZodType): Compiled {
  const why = unsupported(schema);
  if (why) return { ok: false, reason: why };
  const jsonSchema = jsonSchemaOf(schema);
  const validate = ajv.compile(jsonSchema);
  return { ok: true, check: validate as Check, jsonSchema };
}

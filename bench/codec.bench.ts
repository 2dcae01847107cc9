import { isDeepStrictEqual } from 'node:util';
import { decode, decodeWithZod, envelopeSchema } from '../src/contracts/codec.ts';
import { MARKET_TICKS } from '../src/contracts/topics.ts';
import { compile as compileAjv } from './ajv-codec.ts';
import { alternate, flags, ratio, type Spread, type Summary } from './measure.ts';
import { realTickRecords } from './real-ticks.ts';

/**
 * Decoding one record, per route, on real ticks with depth (bench/real-ticks.ts: ~1 kB of JSON each):
 * - zodRuntime: JSON.parse, then zod's runtime parser (decodeWithZod: header, then payload), the decode
 *   path before zod's compiler was used;
 * - compiled: decode() as it is, JSON.parse then the record schema compiled by `z.compile`;
 * - ajv: JSON.parse then ajv 8 on the record schema's JSON Schema (bench/ajv-codec.ts), the usual
 *   alternative, configured to give zod's verdict and strip unknown keys in place;
 * - jsonParse: JSON.parse alone, the floor every route pays.
 * Rounds alternate (bench/measure.ts), so the ratios are of the same run.
 */
export interface CodecFigures {
  readonly records: number;
  readonly bytesPerRecord: number;
  /** Microseconds per record, from each route's records per second: median, min, max of the rounds. */
  readonly usPerRecord: { readonly zodRuntime: Spread; readonly compiled: Spread; readonly ajv: Spread; readonly jsonParse: Spread };
  /** Validation alone (route minus JSON.parse), median microseconds per record. */
  readonly validationUs: { readonly zodRuntime: number; readonly compiled: number; readonly ajv: number };
  /** compiled records/s over zodRuntime records/s (medians). */
  readonly compiledOverZod: number;
  readonly ajvOverCompiled: number;
  readonly allocatedBytesPerRecord: { readonly zodRuntime: number; readonly compiled: number; readonly ajv: number; readonly jsonParse: number };
  readonly gcShare: { readonly zodRuntime: number; readonly compiled: number; readonly ajv: number; readonly jsonParse: number };
  readonly rounds: number;
  readonly flags: string[];
}

export async function benchCodec(count = 20_000, rounds = 7): Promise<CodecFigures> {
  const values = realTickRecords(MARKET_TICKS, count, 500).map((r) => r.value);
  const ajv = compileAjv(envelopeSchema('market_tick', 1));
  if (!ajv.ok) throw new Error(`ajv cannot compile market_tick: ${ajv.reason}`);
  const ajvDecode = (b: Buffer) => {
    const raw: unknown = JSON.parse(b.toString('utf8'));
    return ajv.check(raw) ? raw : decodeWithZod(raw, MARKET_TICKS);
  };
  // Each route must give zod's value before its time means anything.
  for (const b of values.slice(0, 200)) {
    const reference = decodeWithZod(JSON.parse(b.toString('utf8')), MARKET_TICKS);
    const fast = decode(b, MARKET_TICKS);
    if (!reference.ok || !fast.ok || !isDeepStrictEqual(fast.event, reference.event) || !isDeepStrictEqual(ajvDecode(b), reference.event)) throw new Error('a decode route disagrees with zod on a real tick');
  }
  let sink = 0;
  const route = (f: (b: Buffer) => unknown) => ({
    units: count,
    run: () => {
      for (const b of values) if (f(b)) sink++;
    },
  });
  const r = await alternate(
    {
      zodRuntime: route((b) => decodeWithZod(JSON.parse(b.toString('utf8')), MARKET_TICKS).ok),
      compiled: route((b) => decode(b, MARKET_TICKS).ok),
      ajv: route(ajvDecode),
      jsonParse: route((b) => JSON.parse(b.toString('utf8'))),
    },
    { rounds, warmup: 2 },
  );
  if (sink === 0) throw new Error('nothing decoded');
  const us = (s: Summary): Spread => ({ median: +(1e6 / s.perSec.median).toFixed(2), min: +(1e6 / s.perSec.max).toFixed(2), max: +(1e6 / s.perSec.min).toFixed(2) });
  const per = { zodRuntime: us(r.zodRuntime), compiled: us(r.compiled), ajv: us(r.ajv), jsonParse: us(r.jsonParse) };
  const minusParse = (s: Spread) => +(s.median - per.jsonParse.median).toFixed(2);
  return {
    records: count,
    bytesPerRecord: Math.round(values.reduce((n, b) => n + b.length, 0) / count),
    usPerRecord: per,
    validationUs: { zodRuntime: minusParse(per.zodRuntime), compiled: minusParse(per.compiled), ajv: minusParse(per.ajv) },
    compiledOverZod: ratio(r.compiled, r.zodRuntime),
    ajvOverCompiled: ratio(r.ajv, r.compiled),
    allocatedBytesPerRecord: { zodRuntime: r.zodRuntime.bytesPerUnit.median, compiled: r.compiled.bytesPerUnit.median, ajv: r.ajv.bytesPerUnit.median, jsonParse: r.jsonParse.bytesPerUnit.median },
    gcShare: { zodRuntime: r.zodRuntime.gcShare.median, compiled: r.compiled.gcShare.median, ajv: r.ajv.gcShare.median, jsonParse: r.jsonParse.gcShare.median },
    rounds: r.compiled.rounds,
    flags: flags(),
  };
}

// `node bench/codec.bench.ts`: this benchmark alone.
if (import.meta.main) console.log(JSON.stringify(await benchCodec(), null, 2));

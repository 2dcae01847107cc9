import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decode, decodeWithZod, encode, envelopeSchema, recordSchemas } from '../../src/contracts/codec.ts';
import { createEvent, type AnyEnvelope, type Envelope } from '../../src/contracts/envelope.ts';
import { EVENT_SCHEMAS, type EventData, type EventType } from '../../src/contracts/events.ts';
import { CONTROL_STRATEGIES, expectedTypeOf, MARKET_TICKS, NAMESPACE_TOPICS, topicsFor } from '../../src/contracts/topics.ts';
import { parsePacket, toMarketTick } from '../../src/feeds/kite/packets.ts';

/**
 * The compiled decode path against zod, the source of truth: every event type's samples (real ticks with
 * depth from Zerodha's ticker fixtures, events made by createEvent) and many mutations of each must get
 * the same verdict and the same value from both. Two comparisons per record: decode() against
 * decodeWithZod() (what consumers get, refusals and their messages included), and zod's generated parser
 * on its own against zod's runtime parse of the whole record (a refusal by the generated parser falls
 * back to the runtime inside z.compile's schema, which would hide a fast path that refuses what the
 * runtime accepts, or a value it builds differently).
 */

const FIXTURES = join(import.meta.dirname, '../fixtures/kite');
const packet = (name: string) => Buffer.from(readFileSync(join(FIXTURES, `${name}.packet`), 'utf8').trim(), 'base64');
const receivedAt = Date.UTC(2021, 6, 5, 5, 11, 28, 250);
const kiteTick = (bytes: Buffer) => createEvent({ type: 'market_tick', broker: 'market', source: 'feed/kite', key: String(bytes.readUInt32BE(0)), data: toMarketTick(parsePacket(bytes)!, receivedAt)!, now: receivedAt });

/** Real ticks: the full packet as it is (depth included), with one empty depth level, with other prices, and the quote packet. */
function realTicks(): Envelope<'market_tick'>[] {
  const full = packet('ticker_full');
  const emptyLevel = Buffer.from(full);
  emptyLevel.writeUInt32BE(0, 64 + 4 * 12);
  const repriced = Buffer.from(full);
  repriced.writeUInt32BE(157_415, 4);
  repriced.writeUInt32BE(4_000_000_000, 16);
  return [kiteTick(full), kiteTick(emptyLevel), kiteTick(repriced), kiteTick(packet('ticker_quote'))];
}

const NOW = Date.UTC(2025, 7, 11, 4, 0, 0, 125);
const T = new Date(NOW).toISOString();
const SIGNAL_ID = '1b4e28ba-2fa1-4d2b-883f-0016d3cca427';
const signal: EventData['trading_signal'] = {
  signal_id: SIGNAL_ID,
  strategy_id: 'momo-1',
  instrument_token: 408065,
  signal_type: 'BUY',
  quantity: 10,
  price: 1573.7,
  timestamp: '2021-07-05T10:41:27+05:30',
  reason: 'crossed 🚀',
  quote: { last_price: 1573.7, best_bid: 1573.4, best_ask: 1573.7, exchange_timestamp: '2021-07-05T05:11:27.000Z', simulated: true },
  kind: 'strategy',
  long_only: true,
};
const orderBase = { signal_id: SIGNAL_ID, strategy_id: 'momo-1', instrument_token: 408065, signal_type: 'BUY' as const, quantity: 10, order_id: 'PAPER-1', execution_mode: 'paper' as const, timestamp: T };
const breakdown = { brokerage: 0.3, stt: 0, transaction: 0.05, ipft: 0.01, sebi: 0.02, stamp: 0.03, gst: 0.06 };
const side = { outcome: 'filled' as const, validated_quantity: 10, filled_quantity: 10, fills: 1, reason_code: null, order_id: 'o-1', average_price: 1573.7, slippage: 0, slippage_bps: 0, slippage_cost: 0, fees: 0.47, first_fill_ms: 3, last_fill_ms: 3 };

const payloads: { [T in EventType]: Array<EventData[T]> } = {
  market_tick: realTicks().map((t) => t.data),
  trading_signal: [signal, { signal_id: SIGNAL_ID, strategy_id: 's', instrument_token: 1, signal_type: 'SELL', quantity: 1, price: 0.05, timestamp: T }],
  validated_signal: [{ original_signal: signal, validated_quantity: 10, validated_price: 1573.7, risk_checks: ['max_quantity', 'long_only'], timestamp: T }],
  rejected_signal: [{ original_signal: signal, reason_code: 'LONG_ONLY', reason: 'a sell below zero', timestamp: T }],
  order_placed: [{ ...orderBase, price: 1573.7, tag: 'ap-0123456789abcdef0' }],
  order_filled: [{ ...orderBase, fill_id: 'f-1', fill_price: 1573.7, fees: 0.47, fee_breakdown: breakdown, fee_schedule: 'zerodha-2025' }],
  order_failed: [{ ...orderBase, order_id: null, price: 1573.7, reason_code: 'BROKER_REJECTED', error_message: 'margin' }],
  pnl_snapshot: [
    {
      strategy_id: null,
      positions: [{ instrument_token: 408065, quantity: -10, average_price: 1573.7, last_price: null, realized_pnl: -12.5, unrealized_pnl: 0 }],
      realized_pnl: -12.5,
      unrealized_pnl: 0,
      fees: 0.47,
      cash: 99_987.03,
      timestamp: T,
    },
  ],
  trading_state: [{ state: 'HALTED', previous: 'ACTIVE', cause: 'DAILY_LOSS', flatten: true, trading_day: '2025-08-11', loss: -5000, limit: 5000, timestamp: T }],
  risk_command: [{ command: 'HALT', operator: 'ops@desk', reason: 'news', timestamp: T }],
  strategy_changed: [
    { strategy_id: 'momo-1', version: 3, change: 'updated', config: { type: 'simple_momentum', instruments: [408065, 738561], params: { window: 20, nested: { a: [1, 'x', null] } }, active: true, live: false }, timestamp: T },
    { strategy_id: 'momo-1', version: 4, change: 'removed', config: null, timestamp: T },
  ],
  broker_reconciliation: [
    {
      orders: 5,
      trades: 3,
      findings: [
        { kind: 'outside_order', order_id: '1', tradingsymbol: 'INFY', transaction_type: 'SELL', quantity: 5, filled: 0, status: 'OPEN' },
        { kind: 'unrecorded_order', order_id: '2', tag: 'ap-x', awaiting_execution: true },
        { kind: 'missing_fills', order_id: '3', trades: 2, quantity: 10 },
        { kind: 'failed_but_placed', order_id: '4', tag: 'ap-y' },
        { kind: 'position_mismatch', instrument_token: 408065, tradingsymbol: 'INFY', kite: 10, ledger: -5 },
      ],
      timestamp: T,
    },
  ],
  chain_divergence: [
    {
      signal_id: SIGNAL_ID,
      strategy_id: 'momo-1',
      instrument_token: 408065,
      side: 'BUY',
      quantity: 10,
      signal_price: 1573.7,
      paper: side,
      live: { ...side, outcome: 'rejected', validated_quantity: 0, filled_quantity: 0, fills: 0, reason_code: 'INSUFFICIENT_FUNDS', order_id: null, average_price: null, slippage: null, slippage_bps: null, fees: 0, first_fill_ms: null, last_fill_ms: null },
      differences: { filled_quantity: -10, fees: -0.47, average_price: null, average_price_bps: null, slippage_cost: null },
      mismatch: 'outcome',
      timestamp: T,
    },
  ],
};

const topicOf = (type: EventType) => {
  if (type === 'market_tick') return MARKET_TICKS;
  if (type === 'strategy_changed') return CONTROL_STRATEGIES;
  return `zerodha.${Object.values(NAMESPACE_TOPICS).find((t) => t.type === type)!.suffix}`;
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Sample {
  readonly name: string;
  readonly topic: string;
  readonly value: Json;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (const type of Object.keys(payloads) as EventType[]) {
    for (const [i, data] of (payloads[type] as Array<EventData[EventType]>).entries()) {
      const e = createEvent({ type, broker: type === 'market_tick' ? 'market' : type === 'strategy_changed' ? 'control' : 'zerodha', source: 'test', key: 'k', data, now: NOW, cause: i === 0 ? undefined : realTicks()[0] } as never) as AnyEnvelope;
      out.push({ name: `${type} #${i}`, topic: topicOf(type), value: JSON.parse(encode(e).toString()) as Json });
    }
  }
  // A v1 fill, as written before fills had ids: upcast on decode.
  const v1 = JSON.parse(encode(createEvent({ type: 'order_filled', broker: 'paper', source: 'test', key: 'k', now: NOW, data: payloads.order_filled[0]! })).toString()) as { version: number; data: Record<string, Json> };
  v1.version = 1;
  v1.data = { ...orderBase, fill_price: 1573.7, fees: 0.47, fee_breakdown: { brokerage: 0.3, stt: 0, exchange: 0.06, gst: 0.06, sebi: 0.02, stamp: 0.03 } };
  out.push({ name: 'order_filled v1', topic: topicsFor('paper').ordersFilled, value: v1 as unknown as Json });
  return out;
}

/** What replaces a value in the mutations: wrong types, edges of every rule the schemas have. */
const REPLACEMENTS: Json[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  1,
  0.5,
  100.001,
  1573.705,
  0.1 + 0.2,
  2 ** 53 - 1,
  2 ** 53,
  -(2 ** 53),
  1e308,
  '',
  'x',
  '1',
  'BUY',
  'paper',
  'market_tick',
  'a'.repeat(21),
  'a'.repeat(501),
  '😀'.repeat(20),
  '😀'.repeat(21),
  '\ud800',
  SIGNAL_ID,
  SIGNAL_ID.toUpperCase(),
  `urn:uuid:${SIGNAL_ID}`,
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '1b4e28ba-2fa1-0d2b-883f-0016d3cca427',
  '1b4e28ba-2fa1-4d2b-783f-0016d3cca427',
  '1b4e28ba2fa14d2b883f0016d3cca427',
  '2025-08-11T04:00:00Z',
  '2025-08-11T04:00:00.123456789Z',
  '2025-08-11T04:00:00+05:30',
  '2025-08-11T04:00:00+0530',
  '2025-08-11T04:00Z',
  '2025-08-11 04:00:00Z',
  '2025-08-11T24:00:00Z',
  '2024-02-29T00:00:00Z',
  '2025-02-29T00:00:00Z',
  '2025-02-30',
  '2025-08-11',
  '2025-8-11',
  '2025-08-11t04:00:00z',
  {},
  [],
  [1],
  { price: 1, quantity: 1, orders: 1 },
];

const EXTRA_KEYS: Array<[string, Json]> = [
  ['extra', 1],
  ['__proto__', { polluted: true }],
  ['constructor', 'x'],
];

/** Every path to a value in `v`, the root excluded. */
function paths(v: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...at, i], ...paths(x, [...at, i])]);
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...at, k], ...paths(x, [...at, k])]);
  return [];
}

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;
const at = (v: Json, path: Array<string | number>) => path.reduce<Json>((x, k) => (x as Record<string, Json>)[k]!, v);
/** Deletes a key, or takes an element out of an array. */
const remove = (parent: Record<string | number, Json>, key: string | number) => (Array.isArray(parent) ? parent.splice(key as number, 1) : delete parent[key]);

/** `v` with the value at `path` changed by `f` (which gets the parent and the key). */
function edit(v: Json, path: Array<string | number>, f: (parent: Record<string | number, Json>, key: string | number) => void): Json {
  const copy = clone(v);
  let parent = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  f(parent, path.at(-1)!);
  return copy;
}

/** JSON text with a key that JSON.stringify cannot write from an object literal (`__proto__` as an own key). */
function withExtraKey(v: Json, path: Array<string | number>, key: string, extra: Json): string {
  const marker = '"\u0000marker\u0000":0';
  const text = JSON.stringify(path.length === 0 ? { ...(v as object), '\u0000marker\u0000': 0 } : edit(v, path, (p, k) => (p[k] = { ...(p[k] as object), '\u0000marker\u0000': 0 })));
  return text.replace(marker.replace(/\u0000/g, '\\u0000'), `${JSON.stringify(key)}:${JSON.stringify(extra)}`);
}

function mutations(s: Sample): Array<{ what: string; text: string }> {
  const out: Array<{ what: string; text: string }> = [];
  const objects: Array<Array<string | number>> = [[]];
  for (const p of paths(s.value)) {
    const name = p.join('.');
    for (const r of REPLACEMENTS) out.push({ what: `${name} = ${JSON.stringify(r).slice(0, 40)}`, text: JSON.stringify(edit(s.value, p, (parent, k) => (parent[k] = clone(r)))) });
    out.push({ what: `${name} removed`, text: JSON.stringify(edit(s.value, p, remove)) });
    const here = at(s.value, p);
    if (Array.isArray(here)) {
      out.push({ what: `${name} grown`, text: JSON.stringify(edit(s.value, p, (parent, k) => (parent[k] = [...here, ...here, ...here, ...here, ...here, ...here].map(clone)))) });
      out.push({ what: `${name} emptied`, text: JSON.stringify(edit(s.value, p, (parent, k) => (parent[k] = []))) });
    } else if (here !== null && typeof here === 'object') objects.push(p);
  }
  for (const p of objects) for (const [k, x] of EXTRA_KEYS) out.push({ what: `${p.join('.') || '(root)'} + ${k}`, text: withExtraKey(s.value, p, k, x) });
  return out;
}

/** zod's generated parser of each record schema, without the runtime fallback z.compile wraps it in. */
const generated = new Map(recordSchemas().map((r) => [`${r.type}@${r.version}`, { runtime: envelopeSchema(r.type, r.version), fast: z.core.compileFn(envelopeSchema(r.type, r.version)) }]));

function fastAndRuntime(text: string): { runtime: z.ZodSafeParseResult<unknown>; fast: unknown } | undefined {
  let raw: { type?: unknown; version?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const g = generated.get(`${String(raw.type)}@${String(raw.version)}`);
  if (!g) return undefined;
  return { runtime: g.runtime.safeParse(JSON.parse(text)), fast: g.fast(JSON.parse(text)) };
}

/** decode() and zod alone on the same bytes: same verdict, same value, same error. */
function expectSameDecision(text: string, topic: string, what: string) {
  const fast = decode(Buffer.from(text), topic);
  let reference;
  try {
    reference = decodeWithZod(JSON.parse(text), topic);
  } catch {
    reference = undefined;
  }
  if (reference === undefined) {
    expect(fast.ok, what).toBe(false);
    if (!fast.ok) expect(fast.error.kind, what).toBe('not_json');
    return fast;
  }
  expect(fast.ok, what).toBe(reference.ok);
  if (fast.ok && reference.ok) expect(fast.event, what).toStrictEqual(reference.event);
  if (!fast.ok && !reference.ok) expect({ kind: fast.error.kind, path: fast.error.path, message: fast.error.message }, what).toEqual({ kind: reference.error.kind, path: reference.error.path, message: reference.error.message });
  const both = fastAndRuntime(text);
  if (both) {
    expect(both.fast !== z.INVALID, `${what} (zod's generated parser alone)`).toBe(both.runtime.success);
    if (both.runtime.success) expect(both.fast, `${what} (zod's generated parser alone)`).toStrictEqual(both.runtime.data);
  }
  return fast;
}

describe('the compiled decode path against zod', () => {
  it("compiles every event type and version: none is left on zod's runtime parser", () => {
    expect(recordSchemas().filter((r) => r.notCompiled !== undefined)).toEqual([]);
    expect(recordSchemas().map((r) => `${r.type}@${r.version}`).sort()).toEqual(Object.entries(EVENT_SCHEMAS).flatMap(([t, vs]) => Object.keys(vs).map((v) => `${t}@${v}`)).sort());
  });

  it('has a sample of every event type and version, each accepted with the value zod gives', () => {
    const all = samples();
    const covered = new Set(all.map((s) => `${(s.value as { type: string }).type}@${(s.value as { version: number }).version}`));
    expect([...covered].sort()).toEqual(recordSchemas().map((r) => `${r.type}@${r.version}`).sort());
    for (const s of all) expect(expectSameDecision(JSON.stringify(s.value), s.topic, s.name).ok, s.name).toBe(true);
  });

  it('decodes a real Kite tick with depth to exactly the tick the feed made', () => {
    const [tick] = realTicks();
    expect(tick!.data.depth!.buy).toHaveLength(5);
    expect(decode(encode(tick!), MARKET_TICKS)).toStrictEqual({ ok: true, event: tick });
  });

  it('gives the same verdict, value and error as zod for every mutation of every sample', () => {
    let accepted = 0;
    let refused = 0;
    for (const s of samples()) {
      for (const m of mutations(s)) {
        const d = expectSameDecision(m.text, s.topic, `${s.name}: ${m.what}`);
        if (d.ok) accepted++;
        else refused++;
      }
    }
    // Both sides of the line are exercised, thousands of times each.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(5000);
  });

  it('agrees with zod on records mutated at several places at once (seeded)', () => {
    const random = seedrandom('codec-parity');
    const all = samples();
    for (let n = 0; n < 3000; n++) {
      const s = all[Math.floor(random() * all.length)]!;
      let v = s.value;
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const ps = paths(v);
        if (ps.length === 0) break;
        const p = ps[Math.floor(random() * ps.length)]!;
        const r = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)]!;
        v = random() < 0.15 ? edit(v, p, remove) : edit(v, p, (parent, key) => (parent[key] = clone(r)));
      }
      expectSameDecision(JSON.stringify(v), s.topic, `${s.name}: random #${n}`);
    }
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"id":'],
    ['a number', '42'],
    ['a string', '"market_tick"'],
    ['null', 'null'],
    ['an array', '[]'],
    ['an array of a tick', `[${encode(realTicks()[0]!).toString()}]`],
    ['an empty object', '{}'],
    ['a number too large for a double', '{"id":1e999}'],
    ['a byte-order mark', `\ufeff${encode(realTicks()[0]!).toString()}`],
    ['trailing garbage', `${encode(realTicks()[0]!).toString()}x`],
    ['a duplicate key (the last wins in JSON.parse)', encode(realTicks()[0]!).toString().replace('"version":1', '"version":2,"version":1')],
    ['the type as a number', encode(realTicks()[0]!).toString().replace('"type":"market_tick"', '"type":1')],
    ['the version as a string', encode(realTicks()[0]!).toString().replace('"version":1', '"version":"1"')],
    ['an unknown type', encode(realTicks()[0]!).toString().replace('"type":"market_tick"', '"type":"__proto__"')],
    ['an unsupported version', encode(realTicks()[0]!).toString().replace('"version":1', '"version":3')],
  ])('decides %s as zod does', (_what, text) => {
    expectSameDecision(text, MARKET_TICKS, _what);
  });

  it('refuses an event on a topic of another type as zod does, with or without a type on the topic', () => {
    const e = samples().find((s) => s.name === 'trading_signal #0')!;
    const text = JSON.stringify(e.value);
    for (const topic of [MARKET_TICKS, topicsFor('paper').signalsRaw, topicsFor('paper').ordersFilled, 'paper.signals.raw.dlq', 'elsewhere']) {
      const d = expectSameDecision(text, topic, topic);
      expect(d.ok || d.error.kind).toBe(expectedTypeOf(topic) === undefined || expectedTypeOf(topic) === 'trading_signal' ? true : 'wrong_topic');
    }
  });
});

describe('the compiled decode path: the cases a compiler could get wrong', () => {
  const [tick] = realTicks();
  const tickText = () => JSON.parse(encode(tick!).toString()) as Envelope<'market_tick'> & Record<string, unknown>;

  it('strips unknown keys at every depth, as zod does, instead of refusing them', () => {
    const raw = tickText();
    raw.extra = 1;
    (raw.data as unknown as Record<string, unknown>).extra = { deep: true };
    (raw.data.depth!.buy[0] as unknown as Record<string, unknown>).extra = 'x';
    const d = decode(Buffer.from(JSON.stringify(raw)), MARKET_TICKS);
    expect(d.ok && d.event).toStrictEqual(tick);
  });

  it('refuses a price with a fraction of a paisa (a refinement, which JSON Schema could not say), naming it', () => {
    const raw = tickText();
    raw.data.ohlc!.high = 1575.001;
    const d = decode(Buffer.from(JSON.stringify(raw)), MARKET_TICKS);
    expect(d.ok || [d.error.kind, d.error.path, d.error.message]).toEqual(['schema_violation', 'data.ohlc.high', 'market_tick v1 data.ohlc.high: must be a whole number of paise (at most 2 decimals)']);
  });

  it('names the depth level at fault, as zod did', () => {
    const raw = tickText();
    raw.data.depth!.sell[3]!.quantity = 1.5;
    const d = decode(Buffer.from(JSON.stringify(raw)), MARKET_TICKS);
    expect(d.ok || [d.error.kind, d.error.path]).toEqual(['schema_violation', 'data.depth.sell.3.quantity']);
  });

  it('reads a findings list by its kind, so a stray key in one kind is stripped, not mistaken for another kind', () => {
    const s = samples().find((x) => x.name === 'broker_reconciliation #0')!;
    const raw = JSON.parse(JSON.stringify(s.value)) as { data: { findings: Array<Record<string, Json>> } };
    raw.data.findings[2]!.tag = 'stray';
    raw.data.findings[2]!.awaiting_execution = true;
    const d = expectSameDecision(JSON.stringify(raw), s.topic, 'stray keys in a finding');
    expect(d.ok && (d.event.data as { findings: unknown[] }).findings[2]).toStrictEqual({ kind: 'missing_fills', order_id: '3', trades: 2, quantity: 10 });
    raw.data.findings[2] = 5 as unknown as Record<string, Json>;
    expect(expectSameDecision(JSON.stringify(raw), s.topic, 'a number as a finding').ok).toBe(false);
  });

  it("drops a '__proto__' key from a strategy's params, as zod does", () => {
    const s = samples().find((x) => x.name === 'strategy_changed #0')!;
    const text = JSON.stringify(s.value).replace('"params":{', '"params":{"__proto__":{"polluted":true},');
    const d = expectSameDecision(text, s.topic, '__proto__ in params');
    expect(d.ok && Object.keys((d.event.data as EventData['strategy_changed']).config!.params)).toEqual(['window', 'nested']);
  });
});

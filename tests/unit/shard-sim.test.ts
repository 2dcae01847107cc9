import { describe, expect, it } from 'vitest';
import { ShardSim } from '../../src/app/shard/shard-sim.ts';
import type { SimLanes } from '../../src/app/shard/protocol.ts';
import type { MarketTick } from '../../src/contracts/events.ts';
import { tickIdAt, type TickChunk } from '../../src/fanout/tick-block.ts';
import { TickFanout } from '../../src/fanout/tick-fanout.ts';
import { SimMarket } from '../../src/feeds/sim.ts';
import { InstrumentCatalogue } from '../../src/market/instruments.ts';
import type { ActorRef } from '../../src/runtime/actor-ref.ts';
import type { Delivery } from '../../src/runtime/delivery.ts';
import { systemClock } from '../../src/clock.ts';

const instruments = InstrumentCatalogue.load('config/instruments.csv').all().filter((i) => i.tradable).slice(0, 6);
const START = Date.UTC(2025, 7, 11, 3, 45);
const BASE = '3f1c2a9e-7b4d-4c1e-9a8f-000000000000';

/** What a shard's actors would be handed (one actor of every instrument: the ticks in order), with the id each tick's event gets. */
function recorder() {
  const seen: Array<{ tick: MarketTick; id: string }> = [];
  const ref: ActorRef<TickChunk> = {
    path: '/recorder',
    pending: 0,
    tell: () => undefined,
    deliver(d: Delivery<TickChunk>) {
      for (const i of d.message.indexes) seen.push({ tick: d.message.block.ticks[i]!, id: d.message.block.event(i).id });
      d.markHandled();
    },
    deliverBatch(ds) {
      for (const d of ds) this.deliver(d);
    },
    whenBelow: (_n, fn) => fn(),
  };
  return { seen, fanout: new TickFanout(() => ({ own: [], shared: [ref] }), { clock: systemClock, source: 'test', bound: 1_000_000 }) };
}

const lanes = (count: number, mine: (lane: number) => boolean): SimLanes => ({
  seed: 'shard-sim',
  volatility: 0.002,
  instruments: instruments.slice(0, count),
  mine: instruments.slice(0, count).map((_, i) => mine(i)),
  owned: instruments.slice(0, count).map((_, i) => mine(i)),
  base: BASE,
  source: 'feed/sim',
});

const step = (sim: ShardSim, from: number, to: number) => new Promise<void>((resolve) => sim.step(from, to, START, 20, resolve));

describe("a shard's share of the simulated market", () => {
  it('is, tick for tick and id for id, what the one-thread simulator makes for its instruments, a lane added midway included', async () => {
    // The one-thread simulator: five lanes for 50 ticks of the market, then a sixth joins.
    const whole = new SimMarket(instruments.slice(0, 5), 'shard-sim', 0.002);
    const expected: Array<{ tick: MarketTick; id: string }> = [];
    const lane = (g: number, n: number, offset: number) => (g - offset) % n;
    for (let g = 0; g < 50; g++) {
      const t = whole.tick(START + Math.floor((g * 1000) / 20));
      if (lane(g, 5, 0) % 2 === 0) expected.push({ tick: t, id: tickIdAt(BASE, g) });
    }
    whole.add(instruments[5]!);
    const tokens = whole.tokens;
    for (let g = 50; g < 80; g++) {
      const t = whole.tick(START + Math.floor((g * 1000) / 20));
      if (tokens.indexOf(t.instrument_token) % 2 === 0) expected.push({ tick: t, id: tickIdAt(BASE, g) });
    }

    const { seen, fanout } = recorder();
    const sim = new ShardSim(fanout);
    sim.setLanes(lanes(5, (i) => i % 2 === 0));
    await step(sim, 0, 50);
    sim.setLanes(lanes(6, (i) => i % 2 === 0));
    await step(sim, 50, 80);
    expect(seen.map((s) => s.tick)).toEqual(expected.map((e) => e.tick));
    expect(seen.map((s) => s.id)).toEqual(expected.map((e) => e.id));
    // Only the lanes it owns count as its ticks.
    expect(sim.ownTicks).toBe(expected.length);
  });

  it("an instrument simulated in two shards gets the same ticks in both; the one that does not own it does not count them", async () => {
    const a = recorder();
    const b = recorder();
    const simA = new ShardSim(a.fanout);
    const simB = new ShardSim(b.fanout);
    simA.setLanes({ ...lanes(4, (i) => i < 2), owned: [true, true, false, false] });
    // B owns lanes 2 and 3 and also simulates lane 1 (a strategy of B's trades it).
    simB.setLanes({ ...lanes(4, (i) => i >= 1), owned: [false, false, true, true] });
    await Promise.all([step(simA, 0, 40), step(simB, 0, 40)]);
    const token = instruments[1]!.token;
    const inA = a.seen.filter((s) => s.tick.instrument_token === token);
    expect(inA.length).toBe(10);
    expect(b.seen.filter((s) => s.tick.instrument_token === token)).toEqual(inA);
    expect(simA.ownTicks + simB.ownTicks).toBe(40);
  });

  it("an instrument a shard takes up partway (a strategy added there trades it) gets the whole market's ticks from there on, not a fresh walk", async () => {
    const whole = new SimMarket(instruments.slice(0, 3), 'shard-sim', 0.002);
    const all = Array.from({ length: 90 }, (_, g) => whole.tick(START + Math.floor((g * 1000) / 20)));
    const { seen, fanout } = recorder();
    const sim = new ShardSim(fanout);
    sim.setLanes(lanes(3, (i) => i === 0));
    await step(sim, 0, 45);
    // Lane 1 becomes this shard's at tick 45: it has missed fifteen of its own ticks by then.
    sim.setLanes(lanes(3, (i) => i <= 1));
    await step(sim, 45, 90);
    const token = instruments[1]!.token;
    expect(seen.filter((s) => s.tick.instrument_token === token).map((s) => s.tick)).toEqual(all.slice(45).filter((t) => t.instrument_token === token));
  });

  it('held ticks are made beforehand and published on go, unchanged', async () => {
    const { seen, fanout } = recorder();
    const sim = new ShardSim(fanout);
    sim.setLanes(lanes(3, () => true));
    sim.prepare(0, 30, START, 20);
    expect(seen).toEqual([]);
    await new Promise<void>((resolve) => sim.go(resolve));
    const whole = new SimMarket(instruments.slice(0, 3), 'shard-sim', 0.002);
    expect(seen.map((s) => s.tick)).toEqual(Array.from({ length: 30 }, (_, g) => whole.tick(START + Math.floor((g * 1000) / 20))));
  });
});

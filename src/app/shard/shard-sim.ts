import type { MarketTick } from '../../contracts/events.ts';
import { TickBlock } from '../../fanout/tick-block.ts';
import type { TickFanout } from '../../fanout/tick-fanout.ts';
import { SimMarket } from '../../feeds/sim.ts';
import type { Instrument } from '../../market/instruments.ts';
import type { SimLanes } from './protocol.ts';

/** Simulated time: tick g of the whole market at `start` plus g / ticksPerSecond, as the one-thread simulator stamps it. */
const simulatedTime = (start: number, ticksPerSecond: number) => (g: number) => start + Math.floor((g * 1000) / ticksPerSecond);

/** Ticks a shard publishes in one block at most. */
const BLOCK = 5000;

/**
 * The simulator's share that a shard runs: the whole market's lanes in the main thread's order, of
 * which it makes the ticks of its own (the instruments its strategies trade, and those it reports
 * quotes for). Every instrument draws from a stream of its own and every tick is placed by its index
 * in the whole market's sequence (its time, its lane, its event id), so a shard's ticks are exactly the
 * ones the one-thread simulator makes for those instruments, and two shards that both simulate an
 * instrument make the same ticks with the same ids.
 */
export class ShardSim {
  private market: SimMarket | undefined;
  private mine: readonly boolean[] = [];
  private owned: readonly boolean[] = [];
  private lanes: readonly Instrument[] = [];
  private seed = '';
  private next = 0;
  private base = '';
  private source = 'feed/sim';
  /** Ticks of instruments this shard owns (each tick counted by one shard only). */
  ownTicks = 0;
  private held: Array<{ block: TickBlock; owned: number }> = [];
  /** Per lane: the ticks the whole market has made of it, and those this shard has drawn (made or skipped). */
  private turns: number[] = [];
  private drawn: number[] = [];
  private running = false;
  private readonly fanout: TickFanout;

  constructor(fanout: TickFanout) {
    this.fanout = fanout;
  }

  /** The lanes as they are now (the same list, longer once strategies are added). */
  setLanes(l: SimLanes): void {
    // Another seed is another market, from its first tick; the same one goes on (new lanes joining last).
    if (!this.market || l.seed !== this.seed) {
      this.market = new SimMarket(l.instruments as Instrument[], l.seed, l.volatility);
      this.seed = l.seed;
      this.next = 0;
      this.turns = [];
      this.drawn = [];
    } else for (const i of l.instruments) this.market.add(i);
    for (let lane = this.turns.length; lane < l.instruments.length; lane++) [this.turns[lane], this.drawn[lane]] = [0, 0];
    this.lanes = l.instruments;
    this.mine = l.mine;
    this.owned = l.owned;
    this.base = l.base;
    this.source = l.source;
  }

  /**
   * The whole market's ticks `from` to `to` (exclusive), of which this shard's are made: tick g is
   * stamped `start + g / ticksPerSecond` and is lane `next` in turn, as the one-thread simulator does.
   */
  private make(from: number, to: number, stamp: (g: number) => number, maxBlock: number): Array<{ block: TickBlock; owned: number }> {
    const market = this.market;
    if (!market) throw new Error('no lanes to simulate: the main thread sends them first');
    const blocks: Array<{ block: TickBlock; owned: number }> = [];
    let ticks: MarketTick[] = [];
    let places: number[] = [];
    let owned = 0;
    const cut = () => {
      if (ticks.length === 0) return;
      blocks.push({ block: new TickBlock(ticks, Date.now(), this.source, { base: this.base, places }), owned });
      [ticks, places, owned] = [[], [], 0];
    };
    const n = this.lanes.length;
    const { turns, drawn } = this;
    for (let g = from; g < to; g++) {
      const lane = this.next;
      this.next = (this.next + 1) % n;
      const turn = turns[lane]!;
      turns[lane] = turn + 1;
      if (!this.mine[lane]) continue;
      // An instrument this shard took up partway (a strategy added here trades it): caught up first.
      if (drawn[lane]! < turn) market.skip(lane, turn - drawn[lane]!);
      drawn[lane] = turn + 1;
      ticks.push(market.tickOf(lane, stamp(g)));
      places.push(g);
      if (this.owned[lane]) owned++;
      if (ticks.length >= maxBlock) cut();
    }
    cut();
    return blocks;
  }

  /** Makes and publishes ticks `from` to `to`; `done` once every one is handled and what it caused confirmed. */
  step(from: number, to: number, start: number, ticksPerSecond: number, done: () => void): void {
    // One block, as the one-thread simulator publishes a step: its actors take the step's ticks in one
    // chunk each, hearing no outcome in between, so decisions match tick for tick.
    this.publish(this.make(from, to, simulatedTime(start, ticksPerSecond), Number.POSITIVE_INFINITY), done);
  }

  /** Makes ticks `from` to `to` now and keeps them for `go` (a benchmark times the publishing alone). */
  prepare(from: number, to: number, start: number, ticksPerSecond: number): void {
    this.held.push(...this.make(from, to, simulatedTime(start, ticksPerSecond), BLOCK));
  }

  /** Publishes what `prepare` made, as fast as the actors take it. */
  go(done: () => void): void {
    const held = this.held;
    this.held = [];
    this.publish(held, done);
  }

  private publish(blocks: Array<{ block: TickBlock; owned: number }>, done: () => void): void {
    let left = blocks.length;
    if (left === 0) return done();
    const each = () => {
      if (--left === 0) done();
    };
    void (async () => {
      for (const { block, owned } of blocks) {
        this.fanout.hand(block, each);
        this.ownTicks += owned;
        await this.fanout.room();
      }
    })();
  }

  /**
   * Real time: `ticksPerSecond` of the whole market, in steps of 20 ms stamped with the wall clock, each
   * step handed over in order and waiting for room as the one-thread simulator's publishes do.
   */
  run(ticksPerSecond: number): void {
    if (this.running) return;
    this.running = true;
    void (async () => {
      let owed = 0;
      let g = 0;
      while (this.running) {
        owed += (ticksPerSecond * 20) / 1000;
        const n = Math.floor(owed);
        owed -= n;
        if (n > 0) {
          const now = Date.now();
          for (const { block, owned } of this.make(g, g + n, () => now, BLOCK)) {
            this.fanout.hand(block);
            this.ownTicks += owned;
            await this.fanout.room();
          }
          g += n;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }

  halt(): void {
    this.running = false;
  }
}

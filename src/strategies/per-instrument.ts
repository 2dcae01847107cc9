import { NO_SIGNALS, type SignalIntent, type TickResult } from './sdk.ts';

/** What a per-instrument indicator offers so that a change of its window size can be followed. */
export interface Resizable<T> {
  readonly capacity: number;
  resized(capacity: number): T;
}

/**
 * A strategy's state kept in place: one indicator per instrument it trades (a rolling window, running
 * stats, a channel), updated by each tick and returned as the same object. A Map by instrument token,
 * so `state.get(token)` reads an instrument's indicator once it has had a tick.
 */
export class PerInstrument<T extends Resizable<T>> extends Map<number, T> {
  /**
   * `{ state: this, signals: NO_SIGNALS }`, made once: what a tick that sends nothing returns, so that
   * tick allocates nothing (a new result object per tick would be most of what a strategy allocates).
   */
  readonly quiet: TickResult<this>;
  private readonly instruments: readonly number[];
  private readonly make: (capacity: number) => T;

  /** `make` builds an instrument's indicator for a window of `capacity`. */
  constructor(instruments: readonly number[], make: (capacity: number) => T) {
    super();
    this.instruments = instruments;
    this.make = make;
    this.quiet = Object.freeze({ state: this, signals: NO_SIGNALS });
  }

  /**
   * The indicator of `token` at `capacity`, or undefined for an instrument the strategy does not trade.
   * Made on the instrument's first tick, not at `init`: a strategy that has had no tick holds no buffers
   * (a thousand idle strategies would otherwise hold a thousand sets of them). A strategy reconfigured with
   * another window size carries its state over (same type, same instruments): its indicator is then
   * resized once, keeping the newest values that fit.
   */
  lane(token: number, capacity: number): T | undefined {
    let lane = this.get(token);
    if (lane === undefined) {
      if (!this.instruments.includes(token)) return undefined;
      lane = this.make(capacity);
      this.set(token, lane);
      return lane;
    }
    if (lane.capacity === capacity) return lane;
    lane = lane.resized(capacity);
    this.set(token, lane);
    return lane;
  }

  /** The result of a tick: this state, and `signals` (the shared `quiet` result when there are none). */
  result(signals: readonly SignalIntent[]): TickResult<this> {
    return signals.length === 0 ? this.quiet : { state: this, signals };
  }
}

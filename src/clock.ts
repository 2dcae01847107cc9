/**
 * Time is injected: backoff, rate limits, market hours and replays are tested without sleeping.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds of this clock's time. */
  schedule(ms: number, fn: () => void): Timer;
}

/**
 * Calls `fn` every `ms` of the clock's time until cancelled, each time once the last call has finished
 * (a slow call is never overlapped or queued behind). `fn` handles its own failures; one that rejects
 * is simply called again next time.
 */
export function every(clock: Clock, ms: number, fn: () => unknown): Timer {
  let cancelled = false;
  let timer: Timer;
  const next = () => {
    if (!cancelled) timer = clock.schedule(ms, () => void Promise.resolve().then(fn).then(next, next));
  };
  next();
  return {
    cancel: () => {
      cancelled = true;
      timer.cancel();
    },
  };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock that moves only when told to. Timers fire in due order during `advance`. */
export class TestClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  constructor(start = Date.UTC(2025, 7, 11, 3, 45)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(ms: number, fn: () => void): Timer {
    const id = ++this.seq;
    this.timers.set(id, { due: this.current + Math.max(0, ms), fn });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let nextDue = Infinity;
      for (const [id, t] of this.timers) if (t.due <= target && t.due < nextDue) [nextId, nextDue] = [id, t.due];
      if (nextId < 0) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.current = timer.due;
      timer.fn();
    }
    this.current = target;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}

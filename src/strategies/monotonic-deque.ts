/**
 * The highest (or lowest) of the last `capacity` values, by a monotonic deque: it keeps only the values
 * that could still become the extreme, oldest first, each below (for the highest) every older one kept,
 * in a ring over two preallocated Float64Arrays. A push drops the front if it has left the window and, from the back, every
 * value the new one outranks: O(1) amortised, nothing allocated, and the answer is the exact value that
 * getMaximum/getMinimum would find in the window (no arithmetic, so nothing to round).
 */
export class RollingExtreme {
  readonly capacity: number;
  /** True keeps the highest, false the lowest. */
  readonly highest: boolean;
  private readonly values: Float64Array;
  /** The push number of each value in the deque: the front leaves once `capacity` pushes are newer. */
  private readonly seqs: Float64Array;
  /** The value being pushed, on its way to `admit` (see `push`). */
  private readonly incoming = new Float64Array(1);
  private head = 0;
  private size = 0;
  private pushes = 0;

  constructor(capacity: number, keep: 'highest' | 'lowest') {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a rolling extreme spans at least one value, got capacity ${capacity}`);
    this.capacity = capacity;
    this.highest = keep === 'highest';
    this.values = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
  }

  /** Values in the window: grows with each push up to `capacity`. */
  get length(): number {
    return this.pushes < this.capacity ? this.pushes : this.capacity;
  }

  get full(): boolean {
    return this.pushes >= this.capacity;
  }

  /** The extreme of the window. */
  get value(): number {
    // A throw, not a NaN before the first value: a result that is either a double or the constant NaN is boxed.
    if (this.size === 0) throw new RangeError('no extreme of an empty window');
    return this.values[this.head]!;
  }

  /**
   * Adds a value. Small enough for V8 to inline wherever it is called, so the double goes straight into a
   * typed array: a double passed to a call that is not inlined is boxed, which is an allocation.
   */
  push(x: number): void {
    this.incoming[0] = x;
    this.admit();
  }

  /** Takes in the value in `incoming`: drops what has left the window and what it outranks, then queues it. */
  private admit(): void {
    const cap = this.capacity;
    const x = this.incoming[0]!;
    // The front is the oldest kept: it leaves when the window no longer reaches back to it.
    if (this.size > 0 && this.seqs[this.head]! <= this.pushes - cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    // A value that the new one equals or outranks can never be the extreme again.
    while (this.size > 0) {
      let back = this.head + this.size - 1;
      if (back >= cap) back -= cap;
      const v = this.values[back]!;
      if (this.highest ? v > x : v < x) break;
      this.size--;
    }
    let slot = this.head + this.size;
    if (slot >= cap) slot -= cap;
    this.values[slot] = x;
    this.seqs[slot] = this.pushes;
    this.size++;
    this.pushes++;
  }

  /**
   * The same extreme over another capacity. Shrinking keeps the answer exact at once; growing knows only
   * the values already held, so the window counts as holding just those until new pushes fill it. What a
   * strategy reconfigured with another window size carries over; allocates, never on a tick's path.
   */
  resized(capacity: number): RollingExtreme {
    const r = new RollingExtreme(capacity, this.highest ? 'highest' : 'lowest');
    // Only the kept values are needed: one the window held but dropped was outranked by a newer one.
    const held = this.length;
    const first = this.pushes - Math.min(held, capacity);
    for (let i = 0; i < this.size; i++) {
      let slot = this.head + i;
      if (slot >= this.capacity) slot -= this.capacity;
      if (this.seqs[slot]! < first) continue;
      r.values[r.size] = this.values[slot]!;
      r.seqs[r.size] = this.seqs[slot]! - first;
      r.size++;
    }
    r.pushes = this.pushes - first;
    return r;
  }
}

/** The channel of the last `capacity` values: their highest and their lowest, each a monotonic deque. */
export class RollingRange {
  readonly high: RollingExtreme;
  readonly low: RollingExtreme;

  /** `from`: the two deques to carry on with (what `resized` makes); new ones otherwise. */
  constructor(capacity: number, from?: { readonly high: RollingExtreme; readonly low: RollingExtreme }) {
    this.high = from?.high ?? new RollingExtreme(capacity, 'highest');
    this.low = from?.low ?? new RollingExtreme(capacity, 'lowest');
  }

  get capacity(): number {
    return this.high.capacity;
  }

  get full(): boolean {
    return this.high.full;
  }

  push(x: number): void {
    this.high.push(x);
    this.low.push(x);
  }

  resized(capacity: number): RollingRange {
    return new RollingRange(capacity, { high: this.high.resized(capacity), low: this.low.resized(capacity) });
  }
}

/** Out of line, so the accessors stay small enough for V8 to inline (a double returned from a call that is not inlined is boxed). */
function outside(where: string, length: number): never {
  throw new RangeError(`no value ${where} in a window of ${length}`);
}

/**
 * The last `capacity` values of a series, in a ring over one preallocated Float64Array: a push
 * overwrites the oldest slot instead of copying the window, so it costs O(1) and allocates nothing.
 *
 * A strategy that judges a tick against the window before it reads the window first and pushes the
 * tick's price after; `ago(0)` is the newest value pushed, `at(0)` the oldest still held.
 */
export class RollingWindow {
  readonly capacity: number;
  protected readonly values: Float64Array;
  /** The slot the next value goes to (the oldest value's slot once the window is full). */
  protected next = 0;
  protected count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a rolling window holds at least one value, got capacity ${capacity}`);
    this.capacity = capacity;
    this.values = new Float64Array(capacity);
  }

  /** Values held: grows with each push up to `capacity`. */
  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /**
   * Adds a value, dropping the oldest once the window is full. Small enough for V8 to inline wherever it
   * is called, so the double goes straight into the typed array: a double passed to a call that is not
   * inlined is boxed, which is an allocation. What follows the write takes no double (`advance`).
   */
  push(value: number): void {
    this.values[this.next] = value;
    this.advance();
  }

  /** Moves past the slot just written (`next`): what a subclass extends to fold the value into its figures. */
  protected advance(): void {
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count++;
  }

  /** The value `ticks` pushes back: `ago(0)` is the newest, `ago(length - 1)` the oldest. */
  ago(ticks: number): number {
    if (!(ticks >= 0 && ticks < this.count)) outside(`${ticks} ticks back`, this.count);
    const i = this.next - 1 - ticks;
    return this.values[i < 0 ? i + this.capacity : i]!;
  }

  /** The `index`-th value from the oldest: `at(0)` is the oldest, `at(length - 1)` the newest. */
  at(index: number): number {
    if (!(index >= 0 && index < this.count)) outside(`at ${index}`, this.count);
    const i = this.next - this.count + index;
    return this.values[i < 0 ? i + this.capacity : i]!;
  }

  /** The oldest value held (the one the next push drops, when full). */
  get oldest(): number {
    // A throw, not a NaN for an empty window: a result that is either a double or the constant NaN is boxed.
    if (this.count === 0) outside('at all', 0);
    return this.values[this.count === this.capacity ? this.next : 0]!;
  }

  /**
   * A window of another capacity holding the newest values of this one (as many as fit): what a strategy
   * reconfigured with another window size carries over. Allocates; never on a tick's steady path.
   */
  resized(capacity: number): RollingWindow {
    const w = new RollingWindow(capacity);
    for (let i = Math.max(0, this.count - capacity); i < this.count; i++) w.push(this.at(i));
    return w;
  }
}

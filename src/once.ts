/**
 * Remembers keys it has seen, the newest `capacity` of them: how an effect (a fill on a position, an
 * order for a signal) is applied once however often at-least-once delivery hands it over. Redeliveries
 * come within the uncommitted window (seconds), far inside the capacity; the database's unique keys are
 * the durable guard across restarts.
 */
export class Once {
  private readonly keys = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;
  private readonly capacity: number;

  constructor(capacity = 200_000) {
    this.capacity = capacity;
  }

  /** True the first time `key` is offered, false after. */
  first(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.order.push(key);
    if (this.keys.size > this.capacity) {
      this.keys.delete(this.order[this.head++]!);
      if (this.head > 4096 && this.head * 2 > this.order.length) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
    return true;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}

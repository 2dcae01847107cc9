/** Callbacks waiting for a depth to fall to a threshold: how a paused partition learns to resume. */
export class DrainWatch {
  private watchers: Array<{ threshold: number; fn: () => void }> = [];
  private highest = -1;

  add(threshold: number, fn: () => void, current: number): void {
    if (current <= threshold) {
      fn();
      return;
    }
    this.watchers.push({ threshold, fn });
    if (threshold > this.highest) this.highest = threshold;
  }

  /** Called whenever the depth falls; cheap when nobody waits (the hot path). */
  check(current: number): void {
    if (current > this.highest) return;
    const due = this.watchers.filter((w) => current <= w.threshold);
    this.watchers = this.watchers.filter((w) => current > w.threshold);
    this.highest = this.watchers.reduce((m, w) => Math.max(m, w.threshold), -1);
    for (const w of due) w.fn();
  }
}

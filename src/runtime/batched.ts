/**
 * A message that carries several items an actor handles one after another (a chunk of ticks: one
 * delivery, one mailbox slot and one scheduler turn for many ticks). The behaviour moves `next` past
 * each item once it has handled it, so a failure leaves the failing item at `next`: the restart resumes
 * there, and when the supervisor gives up on it, the cell dead-letters that item alone (`takeFailed`) and
 * hands the rest to the fresh state.
 */
export interface Batched {
  readonly batched: true;
  /** Items not yet handled. */
  readonly remaining: number;
  /** The item in hand (the cursor): a failure is counted against it. */
  readonly position: number;
  /** Removes the item at the cursor (the one that failed) and returns it as a message of its own. */
  takeFailed(): unknown;
}

export function isBatched(message: unknown): message is Batched {
  return (message as Partial<Batched> | null)?.batched === true;
}

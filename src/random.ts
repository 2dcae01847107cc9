import seedrandom from 'seedrandom';

/**
 * Seeded randomness (seedrandom: small, well known, the same stream on every platform), so a
 * simulation or a replay repeats exactly.
 */
export type Random = () => number;

export function seededRandom(seed: string): Random {
  return seedrandom(seed);
}

/**
 * A uniform number in [0, 1) fixed by `seed` and `key` alone: draws that do not depend on the order in
 * which events arrive (two replays interleave actors differently; their fills must not differ).
 */
export function uniformFor(seed: string, key: string): number {
  return seedrandom(`${seed}\u0000${key}`)();
}

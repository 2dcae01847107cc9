import seedrandom from 'seedrandom';

/**
 * Seeded randomness (seedrandom: small, well known, the same stream on every platform), so a
 * simulation repeats exactly.
 */
export type Random = () => number;

export function seededRandom(seed: string): Random {
  return seedrandom(seed);
}

/**
 * A uniform number in [0, 1) fixed by `seed` and `key` alone: draws that do not depend on the order in
 * which events arrive (two replays interleave actors differently; their fills must not differ). A 53-bit
 * string hash (cyrb53's mixing) instead of a generator per draw: no allocation, a few dozen ns.
 */
export function uniformFor(seed: string, key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const mix = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
  };
  mix(seed);
  mix('\u0000');
  mix(key);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)) / 2 ** 53;
}

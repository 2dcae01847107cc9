/**
 * Which partition a key lands on, the same on both buses and the same as Kafka's Java client and
 * kafkajs's DefaultPartitioner (murmur2 of the key's UTF-8 bytes, made positive, modulo the partition
 * count): so tools that produce to these topics agree, and one function says which instance owns a key.
 */
export function murmur2(key: string): number {
  const data = Buffer.from(key, 'utf8');
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Keys recur (a few thousand tokens and strategy ids), so each one's hash is remembered; the memo is
 * dropped when it grows past a bound, so keys that never recur cannot fill memory.
 */
const hashes = new Map<string, number>();

export function partitionOf(key: string, partitions: number): number {
  let h = hashes.get(key);
  if (h === undefined) {
    if (hashes.size >= 50_000) hashes.clear();
    hashes.set(key, (h = murmur2(key) & 0x7fffffff));
  }
  return h % partitions;
}

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords hashed with scrypt, a memory-hard KDF in Node's own crypto (no native addon to build, unlike
 * argon2's packages): N = 2^15, r = 8, p = 1 costs 32 MiB and about 50 ms per guess, and runs on libuv's
 * thread pool, off the event loop. Stored as `scrypt$N$r$p$salt$hash` (base64url), so the cost can rise
 * later without invalidating stored hashes.
 */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem above 128 * N * r, which Node's 32 MiB default only just reaches.
  const options: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_BYTES, options, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Whether `hash` is one hashPassword could have written: scrypt with a cost this server can afford per
 * log-in (N a power of two from 2^14 to 2^17, r 1-16, p 1-4), a salt and a key. Anything else is refused
 * when API_USERS is read, not at the first log-in.
 */
export function isPasswordHash(hash: string): boolean {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt' || !parts.slice(1, 4).every((n) => /^\d{1,7}$/.test(n)) || !/^[\w-]{16,}$/.test(parts[4]!) || !/^[\w-]{32,}$/.test(parts[5]!)) return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  return n >= 2 ** 14 && n <= 2 ** 17 && (n & (n - 1)) === 0 && r >= 1 && r <= 16 && p >= 1 && p <= 4;
}

/** Compares in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!isPasswordHash(hash)) return false;
  const [, n, r, p, salt, expected] = hash.split('$') as [string, string, string, string, string, string];
  const want = Buffer.from(expected, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) }).catch(() => undefined);
  if (!got) return false;
  return got.length === want.length && timingSafeEqual(got, want);
}

import { createHash } from 'node:crypto';

/**
 * An id fixed by what it is derived from: the same parts always give the same UUID (SHA-256, laid out
 * as a version-8 UUID). Every event a chain derives from another gets its id this way, so handling the
 * same input again after a crash makes the same events, which everything downstream recognises and
 * applies once. Only roots (ticks) and reports (snapshots) get random ids.
 */
export function derivedId(...parts: ReadonlyArray<string | number>): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

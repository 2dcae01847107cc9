import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derivedId } from '../../src/ids.ts';

/** The way ids were derived before the faster form: what every id already on a log or in a ledger was made by. */
function byBytes(...parts: ReadonlyArray<string | number>): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

describe('derived ids', () => {
  it('are the ids earlier versions derived, so a redelivery after an upgrade is still recognised', () => {
    // Pinned values (computed with the byte-level form), then the two forms side by side over many inputs.
    expect(derivedId('recovery', 0)).toBe('9d56a6f9-0a21-8b43-b787-5705b1834696');
    expect(derivedId('6e4e9507-312e-8988-8daf-63f9138e1331', 'rec-breakout', 0)).toBe('2588cb06-66b1-8e93-91d4-68b2a7b1a474');
    expect(derivedId('sig', 'paper')).toBe('6c3eeeb0-dc78-84fe-bb6d-e6376cdbd4ca');
    for (let i = 0; i < 20_000; i++) {
      const parts = [`tick-${i * 7919}`, `strategy-${i % 13}`, i % 4];
      expect(derivedId(...parts)).toBe(byBytes(...parts));
    }
  });

  it('are version-8 UUIDs with the RFC variant, different for different parts', () => {
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => derivedId('x', i)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

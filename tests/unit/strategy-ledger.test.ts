import { describe, expect, it } from 'vitest';
import { StrategyLedger } from '../../src/strategies/ledger.ts';

describe('strategy ledger', () => {
  it('counts a signal in flight at once, and keeps it when its fill arrives', () => {
    const l = new StrategyLedger();
    l.sent('chain-1', 7, 10);
    expect(l.position(7)).toBe(10);
    l.filled('chain-1', 7, 10, 'o1|1');
    expect([l.position(7), l.pending]).toEqual([10, 0]);
  });

  it('takes back a signal that risk rejected or whose order failed', () => {
    const l = new StrategyLedger();
    l.sent('chain-1', 7, 10);
    l.refused('chain-1');
    expect(l.position(7)).toBe(0);
    l.refused('chain-1'); // a second word of the same outcome changes nothing
    expect(l.position(7)).toBe(0);
  });

  it('adds fills it never sent (read back from the log after a restart)', () => {
    const l = new StrategyLedger();
    l.filled('old-chain', 7, -5, 'o1|1');
    expect(l.position(7)).toBe(-5);
  });

  it('applies a fill once however often it is delivered, whatever envelope it came in', () => {
    const l = new StrategyLedger();
    l.sent('chain-1', 7, -5);
    for (let i = 0; i < 3; i++) l.filled('chain-1', 7, -5, 'PAPER-1|1');
    l.filled('another-envelope', 7, -5, 'PAPER-1|1');
    expect(l.position(7)).toBe(-5);
  });

  it('corrects to the filled quantity when a fill differs from what was sent', () => {
    const l = new StrategyLedger();
    l.sent('chain-1', 7, 10);
    l.filled('chain-1', 7, 6, 'o1|1');
    expect(l.position(7)).toBe(6);
  });
});

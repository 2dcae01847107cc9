import { describe, expect, it } from 'vitest';
import { actorKind } from '../../src/telemetry/actor-kind.ts';

describe('actor kinds, the label of restarts and mailboxes', () => {
  it('names every actor the pipeline spawns by its kind, never by strategy id or instrument token', () => {
    expect(actorKind('market', 'price-256265')).toBe('price-cache');
    expect(actorKind('strategies', 'momentum-7')).toBe('strategy');
    // A strategy named like a fixed actor is still a strategy: its supervisor says so.
    expect(actorKind('strategies', 'risk')).toBe('strategy');
    expect(actorKind('strategies', 'strategy-host')).toBe('strategy-host');
    expect(actorKind('market', 'strategy-runner-in')).toBe('consumer');
    expect(actorKind('root', 'paper-risk-in')).toBe('consumer');
    expect(actorKind('root', 'zerodha-execution-in')).toBe('consumer');
    expect(actorKind('paper', 'risk')).toBe('risk');
    expect(actorKind('zerodha', 'orders')).toBe('order-tracker');
    expect(actorKind('io', 'dead-letters')).toBe('dead-letter');
    expect(actorKind('kite-feed', 'ticker')).toBe('kite-feed');
  });

  it('a name it does not know is "other", so the label stays bounded', () => {
    expect(actorKind('root', 'worker')).toBe('other');
    expect(actorKind('root', 'price-1')).toBe('other');
    expect(actorKind('root', 'paper-nothing-in')).toBe('other');
  });
});

import { describe, it } from 'vitest';
import { tradeWithRedelivery } from './redelivery.scenario.ts';

describe('exactly-once effects on at-least-once delivery', () => {
  it('over the in-process bus: a fill delivered again, or re-published under a new envelope id, and a validated signal delivered twice change nothing', async () => {
    await tradeWithRedelivery('memory');
  });

  it('over the test broker (kafkajs): the same, and no long-only strategy ends short', async () => {
    await tradeWithRedelivery('kafka');
  }, 90_000);
});

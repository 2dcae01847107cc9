import { describe, it } from 'vitest';
import { tradeRecordedDay } from './trading.scenario.ts';

describe('trading end to end over the test broker (kafkajs)', () => {
  it('a recorded NSE day in, fills out on paper.orders.filled: envelopes valid, chains intact, positions equal the fills', async () => {
    await tradeRecordedDay('kafka');
  }, 90_000);
});

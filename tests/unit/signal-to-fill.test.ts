import { describe, expect, it } from 'vitest';
import { Probes } from '../../src/telemetry/probes.ts';
import { SignalToFill } from '../../src/telemetry/signal-to-fill.ts';

const T0 = Date.UTC(2025, 7, 11, 4, 0);
const iso = (ms: number) => new Date(ms).toISOString();

async function observed(p: Probes): Promise<{ count: number; sum: number }> {
  const { values } = await p.signalToFill.get();
  const of = (name: string) => values.find((v) => v.metricName === name && v.labels.namespace === 'paper')?.value ?? 0;
  return { count: of('alpha_panda_signal_to_fill_seconds_count'), sum: of('alpha_panda_signal_to_fill_seconds_sum') };
}

describe('signal-to-fill latency', () => {
  it('measures each fill from its signal event, in seconds, and only the fills of signals it saw', async () => {
    const probes = new Probes();
    const t = new SignalToFill('paper', probes);
    t.signal('a', iso(T0));
    t.filled('a', T0 + 40);
    t.filled('a', T0 + 60); // a second fill of the same order
    t.filled('never-seen', T0 + 10);
    expect(await observed(probes)).toEqual({ count: 2, sum: 0.1 });
  });

  it('forgets a chain once its execution ended, and the oldest signal past its capacity', async () => {
    const probes = new Probes();
    const t = new SignalToFill('paper', probes, 2);
    t.signal('a', iso(T0));
    t.signal('b', iso(T0));
    t.ended('b');
    t.signal('c', iso(T0));
    t.signal('d', iso(T0)); // over capacity: 'a' goes
    expect(t.size).toBe(2);
    for (const id of ['a', 'b', 'c', 'd']) t.filled(id, T0 + 1000);
    expect(await observed(probes)).toEqual({ count: 2, sum: 2 });
  });
});

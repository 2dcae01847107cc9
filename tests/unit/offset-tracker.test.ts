import { describe, expect, it } from 'vitest';
import { Delivery } from '../../src/runtime/delivery.ts';
import { OffsetTracker } from '../../src/runtime/offset-tracker.ts';

const record = (offset: number) => ({ topic: 't', partition: 0, offset: String(offset), key: 'k', value: null, headers: {}, timestamp: '0' });

describe('offset tracker', () => {
  it('commits only past messages whose predecessors are all finished', () => {
    const t = new OffsetTracker('t', 0);
    const ds = [10, 11, 12].map((o) => new Delivery(null, { record: record(o), groupId: 'g' }, t));
    ds.forEach((d) => t.track(d));
    ds[1]!.settle();
    expect(t.takeCommit()).toBeUndefined();
    ds[0]!.settle();
    expect(t.takeCommit()).toBe('12');
    expect(t.takeCommit()).toBeUndefined();
    ds[2]!.settle();
    expect(t.takeCommit()).toBe('13');
    expect(t.inFlight).toBe(0);
  });

  it('waits for published outputs to be confirmed before a message counts as finished', () => {
    const t = new OffsetTracker('t', 0);
    const d = new Delivery(null, { record: record(0), groupId: 'g' }, t);
    t.track(d);
    d.beginPublish();
    d.markHandled();
    expect(t.takeCommit()).toBeUndefined();
    d.endPublish();
    expect(t.takeCommit()).toBe('1');
  });

  it('ignores acknowledgements after its partition was revoked', () => {
    const t = new OffsetTracker('t', 0);
    const d = new Delivery(null, { record: record(0), groupId: 'g' }, t);
    t.track(d);
    t.revoked = true;
    d.settle();
    expect(t.takeCommit()).toBeUndefined();
  });
});

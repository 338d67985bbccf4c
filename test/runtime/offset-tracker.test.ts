import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetTracker } from '../../src/runtime/offset-tracker.ts';

describe('OffsetTracker', () => {
  it('has nothing to commit before the first record', () => {
    const tracker = new OffsetTracker();
    assert.equal(tracker.committable, undefined);
    assert.equal(tracker.inFlight, 0);
  });

  it('commits up to the oldest record not done, never past it', () => {
    const tracker = new OffsetTracker();
    for (const offset of [10, 11, 12, 13]) assert.equal(tracker.add(offset), true);
    assert.equal(tracker.committable, 10);
    tracker.done(12);
    tracker.done(11);
    assert.equal(tracker.committable, 10, 'record 10 is still running');
    tracker.done(10);
    assert.equal(tracker.committable, 13);
    tracker.done(13);
    assert.equal(tracker.committable, 14);
    assert.equal(tracker.inFlight, 0);
  });

  it('follows gaps in offsets (compacted topics)', () => {
    const tracker = new OffsetTracker();
    tracker.add(3);
    tracker.add(7);
    tracker.add(20);
    tracker.done(7);
    assert.equal(tracker.committable, 3);
    tracker.done(3);
    assert.equal(tracker.committable, 20);
    tracker.done(20);
    assert.equal(tracker.committable, 21);
  });

  it('refuses repeated hand-overs and ignores unknown or repeated completions', () => {
    const tracker = new OffsetTracker();
    tracker.add(5);
    tracker.add(6);
    assert.equal(tracker.add(5), false);
    assert.equal(tracker.add(6), false);
    tracker.done(4);
    tracker.done(100);
    tracker.done(6);
    tracker.done(6);
    assert.equal(tracker.inFlight, 1);
    assert.equal(tracker.committable, 5);
  });

  it('matches a model under random completion orders', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const tracker = new OffsetTracker();
      const offsets = Array.from({ length: 40 }, (_, i) => i * 2);
      for (const offset of offsets) tracker.add(offset);
      const done = new Set<number>();
      const order = [...offsets].sort(() => random() - 0.5);
      for (const offset of order) {
        tracker.done(offset);
        done.add(offset);
        const firstNotDone = offsets.find((o) => !done.has(o));
        assert.equal(tracker.committable, firstNotDone ?? offsets[offsets.length - 1] + 1);
        assert.equal(tracker.inFlight, offsets.length - done.size);
      }
    }
  });
});

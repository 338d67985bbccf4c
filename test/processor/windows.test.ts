import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { TopologyTester } from '../../src/processor/tester.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import {
  addToAnchored,
  addToSession,
  addToWindows,
  anchored,
  closeWindows,
  hopping,
  sessions,
  tumbling,
  type Window,
  windowsOf,
} from '../../src/processor/windows/index.ts';

/** A clock as a callback context would give it; stream time = max event time seen (this one included). */
function clock() {
  let streamTime = Number.NEGATIVE_INFINITY;
  let late = 0;
  return {
    at(timestamp: number) {
      streamTime = Math.max(streamTime, timestamp);
      return { timestamp, streamTime, reportLate: () => void (late += 1) };
    },
    get late() {
      return late;
    },
  };
}

const count = () => 0;
const inc = (n: number) => n + 1;

describe('tumbling and hopping windows', () => {
  it('assigns events to epoch-aligned windows', () => {
    assert.deepEqual(windowsOf(tumbling({ sizeMs: 10 }), 25), [{ start: 20, end: 30 }]);
    assert.deepEqual(windowsOf(hopping({ sizeMs: 10, advanceMs: 5 }), 12), [
      { start: 5, end: 15 },
      { start: 10, end: 20 },
    ]);
    assert.deepEqual(windowsOf(tumbling({ sizeMs: 10 }), 20), [{ start: 20, end: 30 }], 'end is exclusive');
    assert.throws(() => hopping({ sizeMs: 5, advanceMs: 10 }), { code: 'HERALD_INVALID_ARGUMENT' });
    assert.throws(() => tumbling({ sizeMs: 0 }), { code: 'HERALD_INVALID_ARGUMENT' });
  });

  it('merges out-of-order events within grace, drops and reports later ones, closes at end + grace', () => {
    const spec = tumbling({ sizeMs: 10, graceMs: 5 });
    const c = clock();
    let state: Window<number>[] | undefined;
    const add = (t: number) => {
      const u = addToWindows(c.at(t), spec, state, count, inc);
      state = u.windows;
      return u;
    };
    add(1);
    add(12); // stream time 12: [0,10) still open until 15
    const inGrace = add(9);
    assert.equal(inGrace.late, false);
    assert.deepEqual(inGrace.updated, [{ start: 0, end: 10, value: 2 }]);
    const closing = add(15); // stream time 15 = end + grace: [0,10) is final
    assert.deepEqual(closing.closed, [{ start: 0, end: 10, value: 2 }]);
    const late = add(3);
    assert.equal(late.late, true);
    assert.equal(c.late, 1);
    assert.deepEqual(state, [{ start: 10, end: 20, value: 2 }], 'the late event changed nothing');
    const flushed = closeWindows(c.at(40), spec.graceMs, state);
    assert.deepEqual(flushed.closed, [{ start: 10, end: 20, value: 2 }]);
    assert.deepEqual(flushed.windows, []);
  });

  it('a hopping event counts in every window containing it; never modifies the state it was given', () => {
    const spec = hopping({ sizeMs: 10, advanceMs: 5 });
    const c = clock();
    const first = addToWindows(c.at(7), spec, undefined, count, inc);
    const frozen = structuredClone(first.windows);
    const second = addToWindows(c.at(8), spec, first.windows, count, inc);
    assert.deepEqual(first.windows, frozen);
    assert.deepEqual(
      second.windows.map((w) => [w.start, w.value]),
      [
        [0, 2],
        [5, 2],
      ],
    );
  });
});

describe('session windows', () => {
  it('grows, bridges two sessions with an out-of-order event, closes at end + gap + grace', () => {
    const spec = sessions({ gapMs: 15, graceMs: 20 });
    const c = clock();
    const sum = (a: number, b: number) => a + b;
    let state: Window<number>[] | undefined;
    const add = (t: number) => {
      const u = addToSession(c.at(t), spec, state, count, inc, sum);
      state = u.windows;
      return u;
    };
    add(0);
    add(5);
    add(30);
    assert.deepEqual(
      state?.map((w) => [w.start, w.end, w.value]),
      [
        [0, 5, 2],
        [30, 30, 1],
      ],
    );
    const bridge = add(18); // within 15 of both 5 and 30 — one session now
    assert.deepEqual(bridge.updated.map((w) => [w.start, w.end, w.value]), [[0, 30, 4]]);
    const closing = add(65); // 30 + 15 + 20 <= 65
    assert.deepEqual(closing.closed.map((w) => [w.start, w.end, w.value]), [[0, 30, 4]]);
    assert.equal(add(20).late, true);
    assert.equal(c.late, 1);
  });
});

describe('anchored windows (the wallet rule)', () => {
  it('opens at the first event after the previous window ended, fixed length', () => {
    const spec = anchored({ sizeMs: 120, graceMs: 0 });
    const c = clock();
    let state: Window<number>[] | undefined;
    const add = (t: number) => {
      const u = addToAnchored(c.at(t), spec, state, count, inc);
      state = u.windows;
      return u;
    };
    add(1000);
    add(1100);
    const next = add(1120); // 1000 + 120: the first window has ended; a new one opens here
    assert.deepEqual(next.closed.map((w) => [w.start, w.value]), [[1000, 2]]);
    assert.deepEqual(next.updated.map((w) => [w.start, w.end]), [[1120, 1240]]);
    assert.equal(add(1050).late, true, 'an event of a closed window is late');
    assert.deepEqual(state?.map((w) => [w.start, w.value]), [[1120, 1]]);
  });

  it('expresses the wallet threshold inside a processor (tester, event time out of order)', async () => {
    interface Wallet {
      balance: number;
      windows: Window<number>[];
      aboveThreshold: boolean;
    }
    const spec = anchored({ sizeMs: 120_000, graceMs: 10_000 });
    const topology = defineGroup('threshold')
      .persist(jsonCodec<Wallet>())
      .output('flag_wallet', jsonCodec<{ flagged: boolean }>())
      .input('deposit', jsonCodec<{ amount: number }>(), (ctx, deposit) => {
        const amount = deposit?.amount ?? 0;
        const w = ctx.get() ?? { balance: 0, windows: [], aboveThreshold: false };
        const update = addToAnchored(ctx, spec, w.windows, () => 0, (total) => total + amount);
        const above = update.updated.some((x) => x.value > 10_000);
        if (above !== w.aboveThreshold && !update.late) ctx.emit('flag_wallet', ctx.key, { flagged: above });
        ctx.set({ balance: w.balance + amount, windows: update.windows, aboveThreshold: update.late ? w.aboveThreshold : above });
      })
      .build();
    const t = new TopologyTester(topology);
    await t.send('deposit', 'w', { amount: 6_000 }, { timestamp: 0 });
    await t.send('deposit', 'w', { amount: 3_000 }, { timestamp: 100_000 });
    await t.send('deposit', 'w', { amount: 2_000 }, { timestamp: 60_000 }); // out of order, same window
    assert.equal(t.table('w')?.aboveThreshold, true);
    await t.send('deposit', 'w', { amount: 1 }, { timestamp: 200_000 }); // new window
    assert.equal(t.table('w')?.aboveThreshold, false);
    const late = await t.send('deposit', 'w', { amount: 50_000 }, { timestamp: 90_000 });
    assert.equal(late.late, true);
    assert.equal(t.lateRecords, 1);
    assert.equal(t.table('w')?.aboveThreshold, false);
    assert.deepEqual(
      t.emitted('flag_wallet').map((r) => r.value?.flagged),
      [true, false],
    );
  });
});

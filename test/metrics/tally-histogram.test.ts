import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { TallyHistogram } from '../../src/metrics/tally-histogram.ts';

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1, 10];
const LABELS = ['topic', 'group', 'outcome'] as const;

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const tally = new TallyHistogram({ name: 'x_seconds', help: 'a duration', labelNames: LABELS, buckets: BUCKETS, registers: [ours] });
  const reference = new Histogram({ name: 'x_seconds', help: 'a duration', labelNames: LABELS, buckets: BUCKETS, registers: [theirs] });
  return { ours, theirs, tally, reference };
}

describe('tally histogram', () => {
  it('writes what prom-client’s histogram writes for the same observations, text and JSON', async () => {
    const { ours, theirs, tally, reference } = pair();
    const values = [0, 0.0005, 0.001, 0.0011, 0.005, 0.02, 0.1, 0.5, 1, 3, 10, 11, 1e6, -1];
    const series = [
      { topic: 'a', group: 'g', outcome: 'ok' },
      { topic: 'a', group: 'g', outcome: 'error' },
      { topic: 'b"quoted\\', group: 'g\n', outcome: 'ok' },
    ];
    for (const [i, labels] of series.entries()) {
      const resolved = tally.labels(labels);
      const child = reference.labels(labels);
      for (const v of values.slice(i)) {
        resolved.observe(v);
        child.observe(v);
      }
    }
    tally.observe(series[0]!, 0.003);
    reference.observe(series[0]!, 0.003);
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  });

  it('shows a series only once observed, and none after a reset until observed again', async () => {
    const { ours, theirs, tally, reference } = pair();
    const resolved = tally.labels({ topic: 't', group: 'g', outcome: 'ok' });
    reference.labels({ topic: 't', group: 'g', outcome: 'ok' });
    assert.equal(await ours.metrics(), await theirs.metrics());
    resolved.observe(0.2);
    reference.observe({ topic: 't', group: 'g', outcome: 'ok' }, 0.2);
    assert.equal(await ours.metrics(), await theirs.metrics());
    ours.resetMetrics();
    theirs.resetMetrics();
    assert.equal(await ours.metrics(), await theirs.metrics());
    resolved.observe(2);
    reference.observe({ topic: 't', group: 'g', outcome: 'ok' }, 2);
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('refuses a value that is not a finite number, and an unknown label', () => {
    const { ours, tally } = pair();
    const resolved = tally.labels({ topic: 't', group: 'g', outcome: 'ok' });
    assert.throws(() => resolved.observe(Number.NaN), TypeError);
    assert.throws(() => resolved.observe(Number.POSITIVE_INFINITY), TypeError);
    assert.throws(() => tally.labels({ topic: 'u', group: 'g', outcome: 'ok', extra: 'x' } as never), /unknown label extra/);
    assert.throws(() => new TallyHistogram({ name: 'x_seconds', help: 'again', labelNames: LABELS, buckets: BUCKETS, registers: [ours] }), /already been registered/);
  });
});

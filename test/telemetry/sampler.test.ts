import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { unrecordedContext } from '../../src/telemetry/active.ts';
import { NewTraceSampler } from '../../src/telemetry/sampler.ts';
import { hasValidIds } from '../../src/telemetry/trace-context.ts';
import { Tracing } from '../../src/telemetry/tracing.ts';

const RANDOM_IDS = Array.from({ length: 2_000 }, () => randomBytes(16).toString('hex'));
const TRACE = (n: number) => RANDOM_IDS[n % RANDOM_IDS.length];
const sampled = (sampler: NewTraceSampler, n: number) =>
  sampler.shouldSample(ROOT_CONTEXT, TRACE(n)).decision === SamplingDecision.RECORD_AND_SAMPLED;

describe('new traces: a ratio and a cap a second', () => {
  it('no cap: every trace at ratio 1, none at 0', () => {
    const all = new NewTraceSampler(1, 0);
    assert.equal(Array.from({ length: 1_000 }, (_, i) => sampled(all, i + 1)).every(Boolean), true);
    assert.equal(all.refusing(), false);
    const none = new NewTraceSampler(0, 0);
    assert.equal(Array.from({ length: 100 }, (_, i) => sampled(none, i + 1)).some(Boolean), false);
    assert.equal(none.refusing(), true);
  });

  it('a cap lets a second’s worth through at once, then refills as time passes, never holding more than a second', () => {
    let now = 0;
    const sampler = new NewTraceSampler(1, 10, () => now);
    const burst = Array.from({ length: 25 }, (_, i) => sampled(sampler, i + 1)).filter(Boolean).length;
    assert.equal(burst, 10);
    assert.equal(sampler.refusing(), true);
    now += 250; // two and a half traces' worth
    assert.equal(sampler.refusing(), false);
    assert.equal(Array.from({ length: 10 }, (_, i) => sampled(sampler, 100 + i)).filter(Boolean).length, 2);
    now += 60_000; // a long quiet spell still allows one second's worth
    assert.equal(Array.from({ length: 30 }, (_, i) => sampled(sampler, 200 + i)).filter(Boolean).length, 10);
    now -= 5_000; // a clock going back refills nothing
    assert.equal(sampled(sampler, 300), false);
  });

  it('the ratio decides by trace id first; only traces it keeps use the allowance', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => i);
    const byRatio = ids.map((n) => sampled(new NewTraceSampler(0.5, 0), n));
    const kept = byRatio.filter(Boolean).length;
    assert.ok(kept > 700 && kept < 1_300, `${kept} of 2,000 at ratio 0.5`);
    const capped = new NewTraceSampler(0.5, 100, () => 0);
    let allowed = 0;
    const expected = byRatio.map((yes) => yes && allowed++ < 100);
    assert.deepEqual(ids.map((n) => sampled(capped, n)), expected);
  });
});

describe('spans under Herald’s sampler', () => {
  const tracing = new Tracing({ endpoint: undefined, sampleRatio: 1, perSecond: 2, recent: 10, resource: { 'service.name': 'test' } });
  before(() => tracing.start());
  after(() => tracing.stop());
  const spanOf = (ctx: Context | undefined) => (ctx === undefined ? undefined : trace.getSpanContext(ctx));

  it('start under a sampled parent, run in an unsampled one without a span, and start a new trace while allowed', async () => {
    const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE(1), spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED });
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE(2), spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE });
    await new Promise((resolve) => setImmediate(resolve)); // the registered provider is seen from the next turn
    assert.equal(unrecordedContext(sampled), undefined);
    assert.equal(unrecordedContext(unsampled), unsampled);
    // Two new traces a second: the third is refused, and gets a fresh trace of its own, not sampled.
    for (let i = 0; i < 2; i++) {
      assert.equal(unrecordedContext(ROOT_CONTEXT), undefined);
      trace.getTracer('test').startSpan('root', {}, ROOT_CONTEXT).end();
    }
    const fresh = [unrecordedContext(ROOT_CONTEXT), unrecordedContext(ROOT_CONTEXT)].map(spanOf);
    assert.ok(fresh.every((s) => s !== undefined && s.traceFlags === TraceFlags.NONE && hasValidIds(s)));
    assert.notEqual(fresh[0]!.traceId, fresh[1]!.traceId);
    // A parent whose ids are invalid is no trace to carry on: a fresh one is made.
    const invalid = trace.setSpanContext(ROOT_CONTEXT, INVALID_SPAN_CONTEXT);
    const replaced = spanOf(unrecordedContext(invalid));
    assert.ok(replaced !== undefined && hasValidIds(replaced) && replaced.traceFlags === TraceFlags.NONE);
  });
});

import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { BrokerRecord, OutgoingRecord } from '../../src/broker/port.ts';
import { HeraldError } from '../../src/errors.ts';
import { buildChain } from '../../src/runtime/chain.ts';
import { currentCorrelationId } from '../../src/runtime/correlation.ts';
import type { Handler, Middleware, RuntimeContext } from '../../src/runtime/message.ts';
import { deadLetter } from '../../src/runtime/middleware/dlq.ts';
import { metrics } from '../../src/runtime/middleware/metrics.ts';
import { retry } from '../../src/runtime/middleware/retry.ts';
import { tracing } from '../../src/runtime/middleware/tracing.ts';
import { PartitionWorker } from '../../src/runtime/partition-worker.ts';

const logger = pino({ level: 'silent' });

function records(keys: string[], headers: (i: number) => Record<string, string> = () => ({})): BrokerRecord[] {
  return keys.map((key, offset) => ({
    topic: 't',
    partition: 0,
    offset,
    key: Buffer.from(key),
    value: Buffer.from(String(offset)),
    headers: headers(offset),
    timestamp: 0,
  }));
}

/** A worker running `handler` inside the router's built-in chain (plus `extra`), with metrics on a fresh registry. */
function setup(handler: Handler<unknown>, extra: Middleware<unknown>[] = []) {
  const sent: OutgoingRecord[] = [];
  const registry = new Registry();
  const runtime = {
    broker: { admin: { ensureTopic: async () => {} } },
    producer: { send: async (out: OutgoingRecord[]) => void sent.push(...out) },
  } as unknown as RuntimeContext;
  const middleware = [
    tracing(),
    metrics(registry),
    deadLetter(),
    retry({ initialDelayMs: 1, jitter: 0, maxAttempts: 3 }),
    ...extra,
  ];
  const chain = buildChain(middleware, handler);
  const worker = new PartitionWorker(
    { topic: 't', partition: 0 },
    {
      group: 'g',
      mode: 'key',
      concurrency: 4,
      maxInFlight: 100,
      handler: chain.handler,
      chain,
      codec: undefined,
      runtime,
      logger,
      onProgress: () => {},
      pause: () => {},
      resume: () => {},
    },
  );
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const name of ['processed', 'failed', 'retried', 'dead_lettered', 'skipped']) {
      const metric = await registry.getSingleMetric(`herald_handler_${name}_total`)!.get();
      out[name] = metric.values.reduce((sum, v) => sum + v.value, 0);
    }
    const duration = await registry.getSingleMetric('herald_handler_duration_seconds')!.get();
    for (const v of duration.values as { metricName?: string; labels: { outcome?: string }; value: number }[]) {
      if (v.metricName === 'herald_handler_duration_seconds_count') out[`attempts_${v.labels.outcome}`] = v.value;
    }
    return out;
  };
  return { worker, sent, counts };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await delay(1);
  assert.ok(condition(), 'condition never held');
}

/** A middleware without a bypass: records then run the whole chain. */
const opaque: Middleware<unknown> = (next) => async (message) => next(message);

describe('fast path (built-in middleware skipped while they have nothing to do)', () => {
  const variants: [string, Middleware<unknown>[]][] = [
    ['fast path', []],
    ['whole chain', [opaque]],
  ];
  for (const [name, extra] of variants) {
    it(`${name}: retries, dead letters and metrics come out the same`, async () => {
      const attempts = new Map<number, number>();
      const { worker, sent, counts } = setup(async (m) => {
        const n = (attempts.get(m.offset) ?? 0) + 1;
        attempts.set(m.offset, n);
        if (m.offset === 1 && n === 1) throw new Error('flaky');
        if (m.offset === 2) throw new HeraldError('HERALD_VALIDATION_FAILED', 'bad', { retriable: false });
        if (m.offset === 5) m.handling.skipped = true;
      }, extra);
      worker.accept(records(['a', 'b', 'c', 'd', 'b', 'e']));
      await until(() => worker.tracker.committable === 6);
      assert.deepEqual(
        [...attempts.entries()].sort(([a], [b]) => a - b),
        [
          [0, 1],
          [1, 2],
          [2, 1],
          [3, 1],
          [4, 1],
          [5, 1],
        ],
      );
      assert.equal(sent.length, 1, 'the invalid record was dead-lettered once');
      assert.deepEqual(await counts(), {
        processed: 4,
        failed: 2,
        retried: 1,
        dead_lettered: 1,
        skipped: 1,
        attempts_ok: 5,
        attempts_error: 2,
      });
    });
  }

  it('a record asked about its delivery on the fast path knows its first attempt', async () => {
    const seen: [number, boolean][] = [];
    const before = Date.now();
    const { worker, sent } = setup(async (m) => {
      seen.push([m.handling.attempts, (m.handling.firstAttemptAt ?? 0) >= before - 1]);
      if (m.offset === 1) throw new HeraldError('HERALD_VALIDATION_FAILED', 'bad', { retriable: false });
    });
    worker.accept(records(['a', 'b']));
    await until(() => worker.tracker.committable === 2);
    assert.deepEqual(seen, [
      [1, true],
      [1, true],
    ]);
    assert.equal(sent[0].headers?.['herald.dlq.attempts'], '1', 'the dead letter counts the fast attempt');
  });

  it('holdCommit: the key moves on at once, the commit only once the held work settled (fulfilled or not)', async () => {
    const release: (() => void)[] = [];
    const started: number[] = [];
    const { worker } = setup(async (m) => {
      started.push(m.offset);
      if (m.offset < 2) {
        m.holdCommit(
          new Promise<void>((resolve, reject) => release.push(m.offset === 0 ? resolve : () => reject(new Error('x')))),
        );
      }
    });
    worker.accept(records(['k', 'k', 'k']));
    await until(() => started.length === 3);
    assert.deepEqual(started, [0, 1, 2], 'later records of the key did not wait for the held work');
    await delay(10);
    assert.equal(worker.tracker.committable, 0, 'committed past a record whose held work is pending');
    release[1]();
    await delay(10);
    assert.equal(worker.tracker.committable, 0);
    release[0]();
    await until(() => worker.tracker.committable === 3);
  });

  it('holdCommit: closing waits for held work up to the deadline; unsettled by then, the record is not done', async () => {
    let release: () => void = () => {};
    const { worker } = setup(async (m) => {
      if (m.offset === 1) m.holdCommit(new Promise<void>((resolve) => (release = resolve)));
    });
    worker.accept(records(['a', 'b']));
    await until(() => worker.tracker.committable === 1);
    assert.equal(await worker.close(Date.now() + 30), false, 'the close did not wait for the held work');
    assert.equal(worker.tracker.committable, 1, 'the record with unsettled held work counted as done');
    release();
    const { worker: other } = setup(async (m) => {
      if (m.offset === 0) m.holdCommit(delay(20));
    });
    other.accept(records(['a']));
    await until(() => other.tracker.inFlight === 1);
    assert.equal(await other.close(Date.now() + 2_000), true);
    assert.equal(other.tracker.committable, 1);
  });

  it('a failure on the fast path is retried in key order: later records of the key wait', async () => {
    const done: number[] = [];
    let failed = false;
    const { worker } = setup(async (m) => {
      if (m.offset === 0 && !failed) {
        failed = true;
        throw new Error('once');
      }
      done.push(m.offset);
    });
    worker.accept(records(['k', 'other', 'k']));
    await until(() => done.length === 3);
    assert.ok(done.indexOf(0) < done.indexOf(2), 'k#2 ran before k#0 succeeded');
  });

  it('each record sees its own correlation id, in its synchronous part and across awaits; the caller none', async () => {
    const seen: [string, string | undefined][] = [];
    const { worker } = setup(async (m) => {
      seen.push([m.correlationId, currentCorrelationId()]);
      await delay(Number(m.record.value) % 3);
      seen.push([m.correlationId, currentCorrelationId()]);
      await Promise.resolve();
      seen.push([m.correlationId, currentCorrelationId()]);
    });
    worker.accept(records(['a', 'b', 'c', 'a', 'd', 'b'], (i) => ({ 'herald.correlation-id': `corr-${i}` })));
    assert.equal(currentCorrelationId(), undefined, 'the context leaked into the consumer');
    await until(() => worker.tracker.committable === 6);
    assert.equal(seen.length, 18);
    for (const [own, current] of seen) assert.equal(current, own);
  });
});

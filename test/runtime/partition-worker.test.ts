import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { BrokerRecord } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { compose, type Handler, type RuntimeContext } from '../../src/runtime/message.ts';
import { retry } from '../../src/runtime/middleware/retry.ts';
import { type PartitionSettings, PartitionWorker } from '../../src/runtime/partition-worker.ts';

const logger = pino({ level: 'silent' });

function records(keys: (string | null)[], from = 0): BrokerRecord[] {
  return keys.map((key, i) => ({
    topic: 't',
    partition: 0,
    offset: from + i,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(String(from + i)),
    headers: {},
    timestamp: 0,
  }));
}

function worker(handler: Handler<unknown>, overrides: Partial<PartitionSettings<unknown>> = {}) {
  const flow: string[] = [];
  const settings: PartitionSettings<unknown> = {
    group: 'g',
    mode: 'key',
    concurrency: 2,
    maxInFlight: 100,
    handler,
    codec: undefined,
    runtime: {} as RuntimeContext,
    logger,
    onProgress: () => {},
    pause: () => void flow.push('pause'),
    resume: () => void flow.push('resume'),
    ...overrides,
  };
  return { worker: new PartitionWorker({ topic: 't', partition: 0 }, settings), flow };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Polls `condition`; the 5 s limit only turns a hang into a failure. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await tick();
  assert.ok(condition(), 'condition never held');
}

describe('PartitionWorker', () => {
  it('a record waiting between retries frees its slot; other keys use it; its key waits', async () => {
    const done: number[] = [];
    let slowAttempts = 0;
    const handler = compose([retry({ initialDelayMs: 5, jitter: 0, maxAttempts: 10 })], async (m) => {
      if (m.key === 'slow' && slowAttempts++ < 3) throw new Error('not yet');
      done.push(m.offset);
    });
    const { worker: w } = worker(handler, { concurrency: 1 });
    w.accept(records(['slow', 'a', 'slow', 'b', 'c']));
    await until(() => done.length === 5);
    assert.ok(done.indexOf(0) < done.indexOf(2), 'slow#2 ran before slow#0');
    assert.ok(done.indexOf(1) < done.indexOf(0), 'key a waited for the failing key');
    assert.equal(w.tracker.committable, 5);
  });

  it('an escaped failure holds the record (and the commit) and is tried again', async () => {
    let fails = 1;
    const done: number[] = [];
    const { worker: w } = worker(async (m) => {
      if (m.offset === 0 && fails-- > 0) throw new Error('boom');
      done.push(m.offset);
    });
    w.accept(records(['x', 'y', 'x']));
    await until(() => done.includes(1));
    assert.equal(w.tracker.committable, 0, 'the commit passed a failed record');
    assert.ok(!done.includes(2), 'x#2 ran before x#0 succeeded');
    // Escaped failures pause a second before the next run; closing gives up on the record instead.
    const clean = await w.close(Date.now() + 1_000);
    assert.equal(clean, true);
    assert.equal(w.tracker.committable, 0);
  });

  it('pauses at maxInFlight and resumes at half', async () => {
    const gates: (() => void)[] = [];
    const { worker: w, flow } = worker(() => new Promise<void>((resolve) => gates.push(resolve)), {
      maxInFlight: 4,
      concurrency: 10,
    });
    w.accept(records(['a', 'b', 'c', 'd', 'e']));
    assert.deepEqual(flow, ['pause']);
    await until(() => gates.length === 5);
    gates.shift()!();
    gates.shift()!();
    await until(() => w.tracker.inFlight === 3);
    assert.deepEqual(flow, ['pause']);
    gates.shift()!();
    await until(() => flow.length === 2);
    assert.deepEqual(flow, ['pause', 'resume']);
    for (const open of gates) open();
  });

  it('close: nothing new starts, sleeping records give up, running ones are aborted at the deadline', async () => {
    let seenReason: unknown;
    let sleepError: unknown;
    const started: number[] = [];
    const { worker: w } = worker(
      async (m) => {
        started.push(m.offset);
        if (m.offset === 0) {
          await new Promise<void>((resolve) => m.signal.addEventListener('abort', () => resolve()));
          seenReason = m.signal.reason;
          throw seenReason;
        } else {
          await m.sleep(60_000).catch((err) => {
            sleepError = err;
            throw err;
          });
        }
      },
      { concurrency: 2 },
    );
    // c waits behind b (same key), which waits to retry: neither may start once closing began.
    w.accept(records(['a', 'b', 'b']));
    await until(() => started.length === 2);
    const clean = await w.close(Date.now() + 30);
    assert.equal(clean, false);
    assert.ok(isHeraldError(sleepError, 'HERALD_SHUTTING_DOWN'));
    await until(() => seenReason !== undefined);
    assert.ok(isHeraldError(seenReason, 'HERALD_SHUTTING_DOWN'));
    assert.deepEqual(started, [0, 1], 'a record started after close');
    assert.equal(w.tracker.committable, 0);
    w.accept(records(['d'], 3));
    assert.equal(w.tracker.end, 3, 'a closed worker took records');
  });
});

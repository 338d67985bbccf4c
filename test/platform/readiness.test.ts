import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Broker, OutgoingRecord } from '../../src/broker/port.ts';
import { HeraldError } from '../../src/errors.ts';
import { freeSpaceCheck, MIN_FREE_BYTES, WRITE_FAILURE_MEMORY_MS, watchWrites } from '../../src/platform/readiness.ts';
import { notifyService } from '../../services/notify/index.ts';
import { bootHerald, request } from '../support/boot.ts';

describe('readiness', () => {
  it('not ready while the latest write failed for the broker’s reason, until one succeeds or time passes', async () => {
    let clock = 1_000;
    let fail: Error | undefined;
    const fake = {
      kind: 'fake',
      producer: () => ({
        send: async (records: OutgoingRecord[]) => {
          if (fail) throw fail;
          return records.map((r, offset) => ({ topic: r.topic, partition: 0, offset }));
        },
        close: async () => {},
      }),
    } as unknown as Broker;
    const { broker, check } = watchWrites(fake, () => clock);
    const producer = broker.producer();
    await check();
    fail = new HeraldError('HERALD_STORAGE_FAILED', 'database or disk is full');
    await assert.rejects(producer.send([{ topic: 't', value: null }]));
    await assert.rejects(check(), /the latest write failed: HERALD_STORAGE_FAILED: database or disk is full/);
    fail = undefined;
    await producer.send([{ topic: 't', value: null }]);
    await check();

    fail = new HeraldError('HERALD_STORAGE_FAILED', 'disk full');
    await assert.rejects(producer.send([{ topic: 't', value: null }]));
    clock += WRITE_FAILURE_MEMORY_MS;
    await check(); // forgotten: traffic may come back and show whether writes work again

    fail = new HeraldError('HERALD_INVALID_ARGUMENT', 'a bad record');
    await assert.rejects(producer.send([{ topic: 't', value: null }]));
    await check(); // the caller's mistake, not the broker's
  });

  it('not ready when the data directory’s file system is nearly full', async () => {
    await freeSpaceCheck('/data', async () => MIN_FREE_BYTES)();
    await assert.rejects(freeSpaceCheck('/data', async () => 5 * 1024 * 1024)(), /^Error: 5 MiB free in \/data: writes would fail$/);
    await freeSpaceCheck(process.cwd())(); // the real file system of this machine
  });

  it('/readyz names a declared topic deleted under a running service', async (t) => {
    const herald = await bootHerald(t, {}, [notifyService]);
    const ready = await request(`${herald.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['broker', 'services', 'storage', 'topics', 'writes']);
    await herald.broker.admin.deleteTopic('transactions');
    const after = await request(`${herald.url}/readyz`);
    assert.equal(after.status, 503);
    assert.deepEqual(after.body.checks.topics, { ok: false, error: 'declared topics missing: transactions' });
  });
});

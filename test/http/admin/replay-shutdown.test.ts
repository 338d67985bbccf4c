import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootHerald, request } from '../../support/boot.ts';

describe('admin replay during shutdown', () => {
  it('a paced replay running when the server stops is cancelled and answers what it replayed', async (t) => {
    const herald = await bootHerald(t);
    const { url } = herald;
    const origin = `orders-${randomUUID().slice(0, 8)}`;
    const dlq = `${origin}.mail.dlq`;
    await request(`${url}/admin/topics`, 'POST', { name: origin, partitions: 1 });
    await request(`${url}/admin/topics`, 'POST', { name: dlq, partitions: 1 });
    const letters = Array.from({ length: 50 }, (_, i) => ({
      value: `letter ${i}`,
      partition: 0,
      headers: { 'herald.dlq.topic': origin, 'herald.dlq.partition': '0', 'herald.dlq.offset': String(i) },
    }));
    assert.equal((await request(`${url}/admin/topics/${dlq}/messages`, 'POST', letters)).status, 201);

    // 50 letters at 5 a second: about ten seconds, far longer than the shutdown lets HTTP run.
    const replay = request(`${url}/admin/dlq/${dlq}/replay`, 'POST', { ratePerSecond: 5 });
    for (let latest = 0; latest === 0; await sleep(50)) {
      latest = (await request(`${url}/admin/topics/${origin}`)).body.partitions[0].latest;
    }
    const stopping = herald.lifecycle.stop(10_000);
    const answer = await replay;
    assert.equal(answer.status, 200);
    const report = answer.body;
    assert.match(report.cancelled.reason, /stopping/);
    assert.ok(report.replayed >= 1 && report.replayed < 50, `replayed ${report.replayed}`);
    assert.deepEqual(report.cancelled.next, { partition: 0, offset: report.replayed });
    assert.equal(report.matched >= report.replayed, true);
    assert.deepEqual(await stopping, { clean: true, abandoned: [] });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadLetterTopicName } from '../../../src/runtime/names.ts';
import { bootHerald, request } from '../../support/boot.ts';

const MiB = 1_048_576;

describe('admin reads over HTTP', () => {
  it('reads every partition by default, continues with the cursor, and refuses offset with cursor', async (t) => {
    const { url } = await bootHerald(t);
    await request(`${url}/admin/topics`, 'POST', { name: 'orders', partitions: 3 });
    const produced = await request(`${url}/admin/topics/orders/messages`, 'POST', [
      { key: 'customer-7', value: 'hello' },
      { key: 'customer-8', value: 'again' },
    ]);
    assert.equal(produced.status, 201);
    const page = await request(`${url}/admin/topics/orders/messages?limit=1`);
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.records.map((r: { value: string }) => r.value),
      ['hello'],
    );
    assert.equal(page.body.more, true);
    const rest = await request(`${url}/admin/topics/orders/messages?cursor=${page.body.next}`);
    assert.deepEqual(
      rest.body.records.map((r: { value: string }) => r.value),
      ['again'],
    );
    const tail = await request(`${url}/admin/topics/orders/messages?offset=-1&partition=${produced.body[1].partition}`);
    assert.deepEqual(
      tail.body.records.map((r: { value: string }) => r.value),
      ['again'],
    );
    const both = await request(`${url}/admin/topics/orders/messages?offset=0&cursor=0:0`);
    assert.equal(both.status, 400);
    assert.equal(both.body.error.code, 'HERALD_VALIDATION_FAILED');
    const badStart = await request(`${url}/admin/topics/orders/messages?offset=soon`);
    assert.equal(badStart.status, 400);
    assert.equal(badStart.body.error.details[0].field, 'offset');
  });

  it('answers a read of many 1 MB records with a bounded page, never a 5xx', async (t) => {
    const running = await bootHerald(t);
    await request(`${running.url}/admin/topics`, 'POST', { name: 'blobs', partitions: 2 });
    const producer = running.broker.producer();
    t.after(() => producer.close());
    for (let n = 0; n < 12; n++) await producer.send([{ topic: 'blobs', value: Buffer.alloc(MiB, 65 + n) }]);
    const response = await fetch(`${running.url}/admin/topics/blobs/messages?limit=1000`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(text.length <= 4 * MiB + 2_000, `a page of ${text.length} bytes`);
    const page = JSON.parse(text);
    assert.equal(page.records.length, 3);
    assert.deepEqual([page.more, page.limitedBy], [true, 'bytes']);
    const small = await request(`${running.url}/admin/topics/blobs/messages?limit=1000&maxBytes=1024`);
    assert.equal(small.status, 200);
    assert.equal(small.body.records.length, 1, 'one record even when it is larger than the budget');
  });

  it('refuses to replay or list a topic that is not a dead-letter topic', async (t) => {
    const { url } = await bootHerald(t);
    await request(`${url}/admin/topics`, 'POST', { name: 'payments', partitions: 1 });
    const replay = await request(`${url}/admin/dlq/payments/replay`, 'POST', {});
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error.code, 'HERALD_INVALID_ARGUMENT');
    assert.match(replay.body.error.message, /payments is not a dead-letter topic/);
    assert.equal((await request(`${url}/admin/dlq/payments/messages`)).status, 400);
    const dlq = deadLetterTopicName('payments', 'g');
    await request(`${url}/admin/topics`, 'POST', { name: dlq, partitions: 1 });
    const empty = await request(`${url}/admin/dlq/${dlq}/messages`);
    assert.deepEqual(empty.body, { deadLetters: [], next: '0:0', more: false });
  });
});

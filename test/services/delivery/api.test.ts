/** The ingest API: what is accepted, what is refused (and then nothing is written), and the status endpoint. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { request } from '../../support/boot.ts';
import { bootDelivery } from './helpers.ts';

async function sourceRecords(herald: Awaited<ReturnType<typeof bootDelivery>>): Promise<BrokerRecord[]> {
  const topic = `${herald.prefix}.events`;
  const info = await herald.broker.admin.describeTopic(topic);
  const pages = await Promise.all(
    info.partitions.map((p) => herald.broker.admin.read({ topic, ...p, offset: 0 }, 1000)),
  );
  return pages.flat();
}

describe('delivery API', { timeout: 60_000 }, () => {
  it('answers 202 with the id once the event is in the source topic, keyed by userId', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    const res = await request(`${herald.url}/publish`, 'POST', { userId: 'alice', payload: { a: [1, 'x'] } });
    assert.equal(res.status, 202);
    assert.equal(res.body.message, 'received');
    assert.match(res.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [record] = await sourceRecords(herald);
    assert.equal(record.key?.toString(), 'alice');
    assert.equal(record.headers['herald-event-id'], res.body.id);
    const event = JSON.parse(record.value!.toString());
    assert.deepEqual(Object.keys(event), ['id', 'userId', 'payload', 'receivedAt']);
    assert.deepEqual(event.payload, { a: [1, 'x'] });

    const status = await request(`${herald.url}/events/${res.body.id}`);
    assert.equal(status.status, 200);
    assert.equal(status.body.userId, 'alice');
    assert.deepEqual(status.body.destinations, {});
  });

  it('accepts any JSON payload, null included', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    for (const payload of [null, 0, 'text', [1], { deep: { er: true } }]) {
      const res = await request(`${herald.url}/publish`, 'POST', { userId: 'u', payload });
      assert.equal(res.status, 202, JSON.stringify(payload));
    }
    assert.equal((await sourceRecords(herald)).length, 5);
  });

  it('refuses payloads nested 5,000 deep with a coded 400 on every write route (was a 500 stack overflow)', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const topic = `${herald.prefix}.events`;
    const posts: [string, string][] = [
      ['/publish', `{"userId":"d","payload":${deep}}`],
      ['/publish/batch', `[{"userId":"d","payload":${deep}}]`],
      [`/admin/topics/${topic}/messages`, `{"value":${deep}}`],
    ];
    for (const [path, body] of posts) {
      const response = await fetch(`${herald.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(response.status, 400, path);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'HERALD_VALIDATION_FAILED', path);
      assert.match(error.message, /deeper than 100 levels/);
    }
    assert.equal((await sourceRecords(herald)).length, 0);
  });

  it('refuses a missing or empty userId, a missing payload, unknown fields and bad JSON with details', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    const cases: [unknown, string][] = [
      [{ payload: 1 }, 'userId'],
      [{ userId: '', payload: 1 }, 'userId'],
      [{ userId: '   ', payload: 1 }, 'userId'],
      [{ userId: 7, payload: 1 }, 'userId'],
      [{ userId: 'u' }, 'payload'],
      [{ userId: 'u', payload: 1, extra: true }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await request(`${herald.url}/publish`, 'POST', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'HERALD_VALIDATION_FAILED');
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        `${JSON.stringify(body)} names ${field}: ${JSON.stringify(res.body.error.details)}`,
      );
    }
    const bad = await fetch(`${herald.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId": "u", "payload": ',
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'HERALD_VALIDATION_FAILED');
    assert.equal((await sourceRecords(herald)).length, 0, 'nothing written');
  });

  it('refuses a payload over the limit with 413, and a body over the HTTP limit', async (t) => {
    const herald = await bootDelivery(t, {
      destinations: [],
      flags: { 'delivery.maxPayloadBytes': '100', 'http.bodyLimitBytes': '2000' },
    });
    const big = await request(`${herald.url}/publish`, 'POST', { userId: 'u', payload: 'x'.repeat(200) });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'HERALD_PAYLOAD_TOO_LARGE');
    assert.deepEqual(big.body.error.details[0].field, 'payload');
    const huge = await request(`${herald.url}/publish`, 'POST', { userId: 'u', payload: 'x'.repeat(5000) });
    assert.equal(huge.status, 413);
    assert.equal((await sourceRecords(herald)).length, 0);
  });

  it('takes a batch all or nothing', async (t) => {
    const herald = await bootDelivery(t, { destinations: [], flags: { 'delivery.batchMaxEvents': '3' } });
    const ok = await request(`${herald.url}/publish/batch`, 'POST', [
      { userId: 'a', payload: 1 },
      { userId: 'b', payload: 2 },
      { userId: 'a', payload: 3 },
    ]);
    assert.equal(ok.status, 202);
    assert.equal(ok.body.ids.length, 3);
    assert.equal(new Set(ok.body.ids).size, 3);
    const records = await sourceRecords(herald);
    const ofA = records.filter((r) => r.key?.toString() === 'a').map((r) => r.headers['herald-event-id']);
    assert.deepEqual(ofA, [ok.body.ids[0], ok.body.ids[2]], 'a user’s events in batch order');

    const invalid = await request(`${herald.url}/publish/batch`, 'POST', [
      { userId: 'a', payload: 1 },
      { userId: '', payload: 2 },
    ]);
    assert.equal(invalid.status, 400);
    assert.ok(invalid.body.error.details.some((d: { field: string }) => d.field === '1.userId'));
    const tooMany = await request(`${herald.url}/publish/batch`, 'POST', Array(4).fill({ userId: 'a', payload: 1 }));
    assert.equal(tooMany.status, 400);
    const empty = await request(`${herald.url}/publish/batch`, 'POST', []);
    assert.equal(empty.status, 400);
    const notArray = await request(`${herald.url}/publish/batch`, 'POST', { userId: 'a', payload: 1 });
    assert.equal(notArray.status, 400);
    assert.equal((await sourceRecords(herald)).length, 3, 'nothing more written');
  });

  it('answers 404 for an unknown event and 400 for a malformed id', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    const unknown = await request(`${herald.url}/events/01900000-0000-7000-8000-000000000000`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'HERALD_NOT_FOUND');
    const malformed = await request(`${herald.url}/events/nope`);
    assert.equal(malformed.status, 400);
  });

  it('answers 503 when the broker is down, writing nothing', async (t) => {
    const herald = await bootDelivery(t, { destinations: [] });
    await herald.broker.stop();
    const res = await request(`${herald.url}/publish`, 'POST', { userId: 'u', payload: 1 });
    assert.equal(res.status, 503);
    const batch = await request(`${herald.url}/publish/batch`, 'POST', [{ userId: 'u', payload: 1 }]);
    assert.equal(batch.status, 503);
  });

  it('lists destinations with their topics and dead-letter topics, without URLs', async (t) => {
    const herald = await bootDelivery(t, {
      destinations: [{ id: 'crm', url: 'http://127.0.0.1:9/hook', headers: { authorization: 'Bearer s' } }],
    });
    const res = await request(`${herald.url}/destinations`);
    assert.deepEqual(res.body, [
      {
        id: 'crm',
        topic: `${herald.prefix}.crm`,
        groups: { transform: `${herald.prefix}.transform.crm`, send: `${herald.prefix}.send.crm` },
        deadLetterTopics: {
          transform: `${herald.prefix}.events.${herald.prefix}.transform.crm.dlq`,
          send: `${herald.prefix}.crm.${herald.prefix}.send.crm.dlq`,
        },
      },
    ]);
  });
});

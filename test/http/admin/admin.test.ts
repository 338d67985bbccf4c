import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { partitionForKey } from '../../../src/broker/partitioner.ts';
import { bootHerald, request } from '../../support/boot.ts';

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('admin API', () => {
  it('creates, lists, describes and deletes topics', async (t) => {
    const { url } = await bootHerald(t);
    const topic = name('orders');
    const created = await request(`${url}/admin/topics`, 'POST', { name: topic, partitions: 3 });
    assert.equal(created.status, 201);
    assert.deepEqual(
      created.body.partitions,
      [0, 1, 2].map((partition) => ({ partition, earliest: 0, latest: 0 })),
    );
    assert.equal((await request(`${url}/admin/topics`, 'POST', { name: topic, partitions: 3 })).status, 409);
    const listed = await request(`${url}/admin/topics`);
    assert.equal(listed.status, 200);
    assert.ok(listed.body.some((t: { name: string }) => t.name === topic));
    assert.equal((await request(`${url}/admin/topics/${topic}`)).body.name, topic);
    assert.equal((await request(`${url}/admin/topics/${topic}`, 'DELETE')).status, 204);
    const gone = await request(`${url}/admin/topics/${topic}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'HERALD_TOPIC_NOT_FOUND');
  });

  it('rejects bad topic definitions with coded errors', async (t) => {
    const { url } = await bootHerald(t);
    const zero = await request(`${url}/admin/topics`, 'POST', { name: name('z'), partitions: 0 });
    assert.equal(zero.status, 400);
    assert.equal(zero.body.error.code, 'HERALD_VALIDATION_FAILED');
    assert.equal(zero.body.error.details[0].field, 'partitions');
    const badName = await request(`${url}/admin/topics`, 'POST', { name: 'no spaces/allowed', partitions: 1 });
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error.code, 'HERALD_INVALID_ARGUMENT');
  });

  it('produces one or many messages and reads them back', async (t) => {
    const { url } = await bootHerald(t);
    const topic = name('events');
    await request(`${url}/admin/topics`, 'POST', { name: topic, partitions: 4 });
    const one = await request(`${url}/admin/topics/${topic}/messages`, 'POST', {
      key: 'customer-7',
      value: 'hello',
      headers: { source: 'test' },
    });
    assert.equal(one.status, 201);
    const partition = partitionForKey(Buffer.from('customer-7'), 4);
    assert.deepEqual(one.body, [{ partition, offset: 0 }]);
    const many = await request(`${url}/admin/topics/${topic}/messages`, 'POST', [
      { value: { n: 1 }, partition: 2 },
      { value: Buffer.from([0xff, 0xfe]).toString('base64'), encoding: 'base64', partition: 2 },
    ]);
    assert.deepEqual(many.body, [
      { partition: 2, offset: partition === 2 ? 1 : 0 },
      { partition: 2, offset: partition === 2 ? 2 : 1 },
    ]);
    const read = await request(`${url}/admin/topics/${topic}/messages?partition=${partition}&offset=0&limit=1`);
    assert.equal(read.status, 200);
    assert.equal(read.body.records.length, 1);
    assert.deepEqual(
      { ...read.body.records[0], timestamp: 0 },
      {
        topic,
        partition,
        offset: 0,
        key: 'customer-7',
        value: 'hello',
        headers: { source: 'test' },
        timestamp: 0,
      },
    );
    const two = await request(`${url}/admin/topics/${topic}/messages?partition=2`);
    const binary = two.body.records.find((r: { encoding?: string }) => r.encoding === 'base64');
    assert.equal(binary.value, Buffer.from([0xff, 0xfe]).toString('base64'));
    assert.ok(two.body.records.some((r: { value: string }) => r.value === '{"n":1}'));
    const topics = await request(`${url}/admin/topics/${topic}`);
    assert.equal(topics.body.partitions[2].latest, partition === 2 ? 3 : 2);
  });

  it('writes nothing when any message of a batch is bad', async (t) => {
    const { url } = await bootHerald(t);
    const topic = name('strict');
    await request(`${url}/admin/topics`, 'POST', { name: topic, partitions: 2 });
    const out = await request(`${url}/admin/topics/${topic}/messages`, 'POST', [
      { value: 'ok', partition: 0 },
      { value: 'bad', partition: 9 },
    ]);
    assert.equal(out.status, 400);
    assert.equal(out.body.error.code, 'HERALD_PARTITION_OUT_OF_RANGE');
    const missing = await request(`${url}/admin/topics/${name('nosuch')}/messages`, 'POST', { value: 'x' });
    assert.equal(missing.status, 404);
    const noValue = await request(`${url}/admin/topics/${topic}/messages`, 'POST', { key: 'k' });
    assert.equal(noValue.status, 400);
    const info = await request(`${url}/admin/topics/${topic}`);
    assert.deepEqual(
      info.body.partitions.map((p: { latest: number }) => p.latest),
      [0, 0],
    );
  });

  it('describes consumer groups with committed offsets and lag', async (t) => {
    const running = await bootHerald(t);
    const topic = name('lagging');
    const group = name('readers');
    await request(`${running.url}/admin/topics`, 'POST', { name: topic, partitions: 1 });
    await request(`${running.url}/admin/topics/${topic}/messages`, 'POST', [
      { value: 'a' },
      { value: 'b' },
      { value: 'c' },
    ]);
    const consumer = running.broker.consumer({ group, topics: [topic] });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.start({
        onRecords: async (records) => {
          seen += records.length;
          if (seen >= 1) await consumer.commit([{ topic, partition: 0, offset: 1 }]);
          if (seen >= 3) resolve();
        },
      });
    });
    await done;
    const described = await request(`${running.url}/admin/groups/${group}`);
    assert.equal(described.status, 200);
    assert.equal(described.body.members.length, 1);
    assert.deepEqual(described.body.offsets, [{ topic, partition: 0, committed: 1, latest: 3, lag: 2 }]);
    const listed = await request(`${running.url}/admin/groups`);
    assert.deepEqual(
      listed.body.find((g: { group: string }) => g.group === group),
      { group, members: 1, lag: 2 },
    );
    await consumer.close();
    assert.equal((await request(`${running.url}/admin/groups/${name('never')}`)).status, 404);
  });

  it('requires the bearer token when one is configured', async (t) => {
    const { url } = await bootHerald(t, { 'http.adminToken': 's3cret' });
    const denied = await request(`${url}/admin/topics`);
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, 'HERALD_UNAUTHORIZED');
    assert.equal(
      (await request(`${url}/admin/topics`, 'GET', undefined, { authorization: 'Bearer nope' })).status,
      401,
    );
    assert.equal(
      (await request(`${url}/admin/topics`, 'GET', undefined, { authorization: 'Bearer s3cret' })).status,
      200,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionOf } from '../../../services/tasks/indexer.ts';
import { OUTBOX_HEADERS } from '../../../src/outbox/index.ts';
import { deadLetterTopicName } from '../../../src/runtime/index.ts';
import { readTopic, waitFor } from '../../outbox/harness.ts';
import { bootTasks, createTask, search } from './helpers.ts';

const id = '11111111-1111-4111-8111-111111111111';
const task = (description: string) => ({ id, description, priority: 'low', dates: { start: null, due: null }, is_done: false });
const event = (type: string, value: unknown) => Buffer.from(JSON.stringify({ type, value }));
const headers = (version: string) => ({ [OUTBOX_HEADERS.aggregateVersion]: version });

describe('tasks indexer', { timeout: 60_000 }, () => {
  it('dead-letters events it cannot apply and goes on with the next ones', async (t) => {
    const { url, broker, topic } = await bootTasks(t);
    const producer = broker.producer();
    t.after(() => producer.close());
    const key = Buffer.from(id);
    await producer.send([
      { topic, key, value: Buffer.from('not json'), headers: headers('1') },
      { topic, key, value: event('tasks.event.renamed', task('x')), headers: headers('1') },
      { topic, key, value: event('tasks.event.created', { id }), headers: headers('1') },
      { topic, key, value: event('tasks.event.created', task('no version')) },
      { topic, key, value: event('tasks.event.created', task('bad version')), headers: headers('zero') },
      { topic, key: Buffer.from('other'), value: event('tasks.event.created', task('wrong key')), headers: headers('1') },
      { topic, key, value: null, headers: headers('1') },
      { topic, key, value: event('tasks.event.created', task('the valid one')), headers: headers('1') },
    ]);
    await waitFor('the valid event indexed', async () => (await search(url, { description: 'valid' })).total === 1);
    const dlq = deadLetterTopicName(topic, `${topic}-indexer`);
    await waitFor('seven dead letters', async () => (await readTopic(broker, dlq).catch(() => [])).length === 7);
  });

  it('ignores replayed and out-of-date events', async (t) => {
    const { url, broker, topic } = await bootTasks(t);
    const producer = broker.producer();
    t.after(() => producer.close());
    const key = Buffer.from(id);
    await producer.send([
      { topic, key, value: event('tasks.event.created', task('first words')), headers: headers('1') },
      { topic, key, value: event('tasks.event.updated', task('second words')), headers: headers('2') },
      { topic, key, value: event('tasks.event.created', task('first words')), headers: headers('1') },
      { topic, key, value: event('tasks.event.deleted', { id }), headers: headers('3') },
      { topic, key, value: event('tasks.event.updated', task('second words')), headers: headers('2') },
    ]);
    await waitFor('the indexer caught up', async () => {
      const group = await broker.admin.describeGroup(`${topic}-indexer`).catch(() => undefined);
      const offsets = group?.offsets.filter((o) => o.topic === topic) ?? [];
      return offsets.length > 0 && offsets.every((o) => o.lag === 0) && offsets.some((o) => (o.committed ?? 0) > 0);
    });
    assert.equal((await search(url, {})).total, 0, 'the task stays deleted');
    const created = await createTask(url, { description: 'later task' });
    await waitFor('later task indexed', async () => (await search(url, { description: 'later' })).total === 1);
    assert.equal((await search(url, { description: 'words' })).total, 0);
    assert.ok(created.id);
  });

  it('reads the version header strictly', () => {
    assert.equal(versionOf({ headers: headers('7') }), 7);
    for (const bad of [undefined, '', '0', '-1', '1.5', 'x', '9007199254740993']) {
      assert.throws(() => versionOf({ headers: bad === undefined ? {} : headers(bad) }), /version/);
    }
  });
});

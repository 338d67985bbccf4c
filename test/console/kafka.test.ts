/**
 * The console on Kafka in a real browser: the topic list finds a topic by name, its page shows size and retention
 * from Kafka's own bookkeeping, its messages newest first and one message; a group's page shows its lag.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { bootHerald, request } from '../support/boot.ts';
import { browserPage, SHOTS } from '../support/browser.ts';
import { kafkaSingle } from '../support/kafka.ts';

describe('console on Kafka', { timeout: 120_000 }, () => {
  it('browses a topic with its size and retention, one message, and a group', async (t) => {
    const servers = await kafkaSingle(t);
    if (servers === undefined) return;
    const herald = await bootHerald(t, { 'broker.url': `kafka://${servers.join(',')}` });
    const topic = `console-${randomBytes(4).toString('hex')}`;
    assert.equal((await request(`${herald.url}/admin/topics`, 'POST', { name: topic, partitions: 2, retentionMs: 7_200_000 })).status, 201);
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: JSON.stringify({ n: i }), partition: i % 2 }));
    assert.equal((await request(`${herald.url}/admin/topics/${topic}/messages`, 'POST', records)).status, 201);
    const group = `console-group-${randomBytes(4).toString('hex')}`;
    const consumer = herald.broker.consumer({ group, topics: [topic], clientId: 'console-reader' });
    try {
      await consumer.start({ onRecords: async () => {} });
      await consumer.commit([{ topic, partition: 0, offset: 5 }, { topic, partition: 1, offset: 15 }]);
      await browse(t, herald.url, topic, group);
    } finally {
      // Before Herald stops (its broker connection with it): the topic is dropped from the shared Kafka.
      await consumer.close();
      await herald.broker.admin.deleteTopic(topic).catch(() => {});
    }
  });
});

/** The topic's page, one message and the group's page, as a user reaches them. */
async function browse(t: TestContext, url: string, topic: string, group: string): Promise<void> {
  const page = (await browserPage(t))?.page;
  if (page === undefined) return;
  await page.goto(`${url}/console/topics?q=${topic}`);
  await page.click(`text=${topic}`);
  assert.match((await page.textContent('#settings')) ?? '', /cleanup: delete · retention 2 h\s*· \d+(\.\d)? (B|KiB) stored · retention\.ms=7200000/);
  const rows = await page.$$eval('#messages tbody tr', (trs) => trs.length);
  assert.equal(rows, 30);
  await page.click('#messages tbody tr:first-child td:nth-child(2) a');
  assert.match((await page.textContent('#value')) ?? '', /"n": \d+/);
  await page.screenshot({ path: path.join(SHOTS, 'kafka-message.png'), fullPage: true });

  await page.goto(`${url}/console/groups/${group}`);
  assert.equal(await page.textContent('#lag'), '10', 'partition 0 committed at 5 of 15, partition 1 at its end');
  assert.equal(await page.textContent('#members'), '1');
  assert.match((await page.textContent('#offsets')) ?? '', /console-reader|5\s*15\s*10/);
  await page.screenshot({ path: path.join(SHOTS, 'kafka-group.png'), fullPage: true });
}

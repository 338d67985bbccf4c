import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BrokerAdminApi } from '../../src/admin/broker-admin.ts';
import { listDeadLetters, replayDeadLetters } from '../../src/admin/dead-letters.ts';
import { jsonBytes } from '../../src/admin/pages.ts';
import { parseCursor } from '../../src/admin/positions.ts';
import { REPLAY_MARKS_TOPIC } from '../../src/admin/replay-marks.ts';
import type { Broker, OutgoingRecord } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { DLQ_HEADERS } from '../../src/runtime/dlq/envelope.ts';
import { HEADERS } from '../../src/runtime/headers.ts';
import { deadLetterTopicName } from '../../src/runtime/names.ts';
import { startTestBroker } from '../../src/testing/broker.ts';

async function embedded(t: TestContext): Promise<Broker> {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  return broker;
}

const DLQ = deadLetterTopicName('orders', 'mailer');

/** A dead letter of `orders` offset `n`, as the dead-letter middleware writes it. */
function letter(n: number, value = `v${n}`, key = `k${n % 3}`): OutgoingRecord {
  return {
    topic: DLQ,
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: {
      [DLQ_HEADERS.topic]: 'orders',
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: String(n),
      [DLQ_HEADERS.group]: 'mailer',
      [DLQ_HEADERS.errorCode]: 'HERALD_DESTINATION_FAILED',
      [DLQ_HEADERS.errorMessage]: 'refused',
      [DLQ_HEADERS.attempts]: '1',
    },
  };
}

async function withDeadLetters(broker: Broker, records: OutgoingRecord[]): Promise<void> {
  await broker.admin.createTopic({ name: 'orders', partitions: 1 });
  await broker.admin.createTopic({ name: DLQ, partitions: 1 });
  const producer = broker.producer();
  for (let i = 0; i < records.length; i += 1_000) await producer.send(records.slice(i, i + 1_000));
  await producer.close();
}

describe('dead letters: only dead-letter topics', () => {
  it('refuses to list or replay a topic that is not a dead-letter topic (400), writing nothing', async (t) => {
    const broker = await embedded(t);
    await withDeadLetters(broker, [letter(0)]);
    const admin = new BrokerAdminApi(broker);
    t.after(() => admin.close());
    for (const attempt of [() => admin.replay('orders', {}), () => admin.deadLetters('orders', {})]) {
      await assert.rejects(attempt(), (err) => isHeraldError(err, 'HERALD_INVALID_ARGUMENT') && /not a dead-letter topic/.test(err.message));
    }
    assert.equal((await broker.admin.describeTopic('orders')).partitions[0].latest, 0);
  });
});

describe('dead letters: marked when replayed', () => {
  it('skips a dead letter replayed before unless asked again, shows the mark, and keeps it across instances', async (t) => {
    const broker = await embedded(t);
    await withDeadLetters(broker, [letter(0), letter(1)]);
    const admin = new BrokerAdminApi(broker);
    t.after(() => admin.close());
    const first = await admin.replay(DLQ, { key: 'k0' });
    assert.deepEqual([first.matched, first.replayed, first.skipped], [1, 1, 0]);
    const listed = await admin.deadLetters(DLQ, {});
    assert.deepEqual(
      listed.deadLetters.map((d) => [d.value, d.replayed?.count ?? 0]),
      [
        ['v0', 1],
        ['v1', 0],
      ],
    );
    const second = await admin.replay(DLQ, {});
    assert.deepEqual([second.matched, second.replayed, second.skipped], [2, 1, 1], 'only the one never replayed');
    assert.match(second.skippedRecords[0].reason, /^replayed already \(1 time, last at .+\); again: true replays it again$/);

    // Another process (a new admin instance reads the marks topic) sees both marks; `again` replays them.
    const later = new BrokerAdminApi(broker);
    t.after(() => later.close());
    const dry = await later.replay(DLQ, { dryRun: true });
    assert.deepEqual([dry.replayed, dry.skipped], [0, 2]);
    const again = await later.replay(DLQ, { again: true, key: 'k0' });
    assert.equal(again.replayed, 1);
    const view = (await later.deadLetters(DLQ, { key: 'k0' })).deadLetters[0];
    assert.equal(view.replayed?.count, 2);
    const origin = await broker.admin.read({ topic: 'orders', partition: 0, offset: 0 }, 10);
    assert.deepEqual(
      origin.map((r) => [r.value?.toString(), r.headers[HEADERS.replayCount]]),
      [
        ['v0', '1'],
        ['v1', '1'],
        ['v0', '1'],
      ],
    );
    const marks = await broker.admin.describeTopic(REPLAY_MARKS_TOPIC);
    assert.equal(marks.compacted, true);
  });
});

describe('dead letters: bounded answers', () => {
  it('lists a page at a time and continues from the cursor', async (t) => {
    const broker = await embedded(t);
    await withDeadLetters(broker, Array.from({ length: 7 }, (_, n) => letter(n)));
    const page = await listDeadLetters(broker.admin, DLQ, { limit: 5 });
    assert.equal(page.deadLetters.length, 5);
    assert.equal(page.more, true);
    const rest = await listDeadLetters(broker.admin, DLQ, { limit: 5, cursor: parseCursor(page.next) });
    assert.deepEqual(
      rest.deadLetters.map((d) => d.value),
      ['v5', 'v6'],
    );
    assert.equal(rest.more, false);
  });

  it('counts everything a replay looked at but lists a bounded sample, within the byte budget', async (t) => {
    const broker = await embedded(t);
    const junk = Array.from({ length: 150 }, (): OutgoingRecord => ({ topic: DLQ, value: Buffer.from('not a dead letter') }));
    const letters = Array.from({ length: 1_200 }, (_, n) => letter(n, 'x'.repeat(2_000)));
    await withDeadLetters(broker, [...junk, ...letters]);
    const producer = broker.producer();
    t.after(() => producer.close());
    const report = await replayDeadLetters(broker.admin, producer, DLQ, { dryRun: true, maxBytes: 1_048_576 });
    assert.deepEqual([report.matched, report.skipped, report.replayed], [1_200, 150, 0]);
    assert.equal(report.skippedRecords.length, 100);
    assert.ok(report.records.length < 1_200 && report.records.length > 100, `${report.records.length} listed`);
    assert.equal(report.truncated, true);
    assert.ok(jsonBytes(report) < 1_048_576 + 20_000, `a report of ${jsonBytes(report)} bytes`);
    assert.equal(report.next, '0:1350');
  });

  it('a big dead letter is listed within the budget too', async (t) => {
    const broker = await embedded(t);
    await withDeadLetters(broker, [letter(0, 'y'.repeat(600_000)), letter(1, 'y'.repeat(600_000))]);
    const page = await listDeadLetters(broker.admin, DLQ, { maxBytes: 1_048_576 });
    assert.equal(page.deadLetters.length, 1);
    assert.equal(page.limitedBy, 'bytes');
  });
});

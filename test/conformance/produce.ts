import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BrokerRecord, RecordPosition } from '../../src/broker/port.ts';
import { byPartition, type HarnessTest, range, readPartition, texts } from './helpers.ts';
import { collect, Recorder, record } from './recorder.ts';

const DAY = 86_400_000;

function position(p: RecordPosition): RecordPosition {
  return { topic: p.topic, partition: p.partition, offset: p.offset };
}

/** The fields of a record the port defines, as plain values (headers as a plain object). */
function plain(r: BrokerRecord) {
  return { ...position(r), key: r.key, value: r.value, headers: { ...r.headers }, timestamp: r.timestamp };
}

export function produceTests(test: HarnessTest): void {
  describe('produce and consume', () => {
    test('a record comes back with its key, value, headers and explicit timestamp', async (h) => {
      const topic = await h.topic(1);
      // A day ago: older than Kafka's retention (7 days by its timestamp), a record can be deleted before it is read.
      const timestamp = Math.floor(Date.now() / 1_000) * 1_000 - 86_400_000 + 123;
      const headers = { 'content-type': 'application/octet-stream', 'x-unicode': 'héllo ✓ 日本', 'x-empty': '' };
      const value = Buffer.from(range(256)); // every byte value, including 0 and invalid UTF-8
      const sent = await h.producer().send([{ topic, key: Buffer.from('key-1'), value, headers, timestamp }]);
      assert.deepEqual(sent.map(position), [{ topic, partition: 0, offset: 0 }]);

      const [got] = await collect(await record(h.consumer({ topics: [topic] })), 1, h.timeoutMs);
      const expected = { topic, partition: 0, offset: 0, key: Buffer.from('key-1'), value, headers, timestamp };
      if (!h.features.exactTimestamps) expected.timestamp = got.timestamp;
      assert.deepEqual(plain(got), expected);
      const [read] = await h.broker.admin.read({ topic, partition: 0, offset: 0 }, 10);
      assert.deepEqual(plain(read), plain(got));
    });

    test('an empty send resolves with no positions; a large value survives', async (h) => {
      const topic = await h.topic(1);
      const producer = h.producer();
      assert.deepEqual(await producer.send([]), []);
      const large = Buffer.alloc(512 * 1024, 'x');
      large.write('start', 0);
      large.write('end', large.length - 3);
      const [pos] = await producer.send([{ topic, value: large }]);
      assert.equal(pos.offset, 0);
      const [got] = await h.broker.admin.read({ topic, partition: 0, offset: 0 }, 1);
      assert.ok(got.value?.equals(large), 'the large value came back changed');
    });

    test('explicit timestamps far apart in one send are each kept exactly', async (h) => {
      if (!h.features.exactTimestamps) {
        h.t.skip('this broker stamps records on append');
        return;
      }
      const topic = await h.topic(1);
      const now = Date.now();
      // Ascending, more than 2^31 ms (~25 days) apart: a backfill of old events next to new ones.
      const stamps = [now - 400 * DAY, now - 40 * DAY, now];
      await h.producer().send(stamps.map((timestamp, i) => ({ topic, value: Buffer.from(`t${i}`), timestamp })));
      const got = await collect(await record(h.consumer({ topics: [topic] })), stamps.length, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.timestamp),
        stamps,
      );
    });

    test('explicit timestamps at the edges are kept: zero, ahead of the clock, older than the one before', async (h) => {
      if (!h.features.exactTimestamps) {
        h.t.skip('this broker stamps records on append');
        return;
      }
      const topic = await h.topic(1);
      const now = Date.now();
      // Ahead by a minute only: Kafka 4 refuses timestamps more than an hour ahead (log.message.timestamp.after.max.ms).
      const stamps = [now + 60_000, now - 30 * DAY, 0, 1, Date.UTC(1999, 11, 31, 23, 59, 59, 999)];
      await h.producer().send(stamps.map((timestamp, i) => ({ topic, value: Buffer.from(`t${i}`), timestamp })));
      const got = await collect(await record(h.consumer({ topics: [topic] })), stamps.length, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.timestamp),
        stamps,
      );
    });

    test('header names that are also names of Object.prototype members are kept', async (h) => {
      const topic = await h.topic(1);
      // A computed key makes '__proto__' an own property instead of setting the prototype.
      const headers: Record<string, string> = {
        ['__proto__']: 'p',
        constructor: 'c',
        hasOwnProperty: 'h',
        toString: 't',
      };
      await h.producer().send([{ topic, value: Buffer.from('v'), headers }]);
      const [got] = await collect(await record(h.consumer({ topics: [topic] })), 1, h.timeoutMs);
      const [read] = await h.broker.admin.read({ topic, partition: 0, offset: 0 }, 1);
      for (const r of [got, read]) {
        assert.deepEqual(Object.entries(r.headers).sort(), Object.entries(headers).sort());
      }
    });

    test('a record without a timestamp is stamped with the time of the send', async (h) => {
      const topic = await h.topic(1);
      const before = Date.now();
      await h.producer().send([{ topic, value: Buffer.from('now') }]);
      const after = Date.now();
      const [got] = await collect(await record(h.consumer({ topics: [topic] })), 1, h.timeoutMs);
      assert.ok(
        got.timestamp >= before && got.timestamp <= after,
        `timestamp ${got.timestamp} is outside the send [${before}, ${after}]`,
      );
      assert.deepEqual({ ...got.headers }, {});
      assert.equal(got.key, null);
    });

    test('null values (tombstones), empty values and null keys stay what they are', async (h) => {
      const topic = await h.topic(1);
      await h.producer().send([
        { topic, key: Buffer.from('gone'), value: null },
        { topic, key: Buffer.from('empty'), value: Buffer.alloc(0) },
        { topic, key: null, value: Buffer.from('no key') },
        { topic, key: Buffer.alloc(0), value: Buffer.from('empty key') },
        { topic, key: Buffer.from([0, 0xff, 0x80]), value: Buffer.from('binary key') },
      ]);
      const got = await collect(await record(h.consumer({ topics: [topic] })), 5, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => [r.offset, r.key, r.value]),
        [
          [0, Buffer.from('gone'), null],
          [1, Buffer.from('empty'), Buffer.alloc(0)],
          [2, null, Buffer.from('no key')],
          [3, Buffer.alloc(0), Buffer.from('empty key')],
          [4, Buffer.from([0, 0xff, 0x80]), Buffer.from('binary key')],
        ],
      );
      const read = await readPartition(h.broker, topic, 0);
      assert.deepEqual(
        read.map((r) => [r.key, r.value]),
        got.map((r) => [r.key, r.value]),
      );
    });

    test('many sends keep per-partition order; offsets are dense and match what send returned', async (h) => {
      const partitions = 3;
      const calls = 20;
      const perCall = 50;
      const topic = await h.topic(partitions);
      const producer = h.producer();
      const sentTo = new Map<number, { offset: number; value: string }[]>(range(partitions).map((p) => [p, []]));
      for (const call of range(calls)) {
        const batch = range(perCall, call * perCall).map((i) => ({
          topic,
          partition: i % partitions,
          value: Buffer.from(`m${i}`),
        }));
        const sent = await producer.send(batch);
        assert.equal(sent.length, batch.length);
        sent.forEach((pos, i) => {
          assert.equal(pos.topic, topic);
          assert.equal(pos.partition, batch[i].partition);
          sentTo.get(pos.partition)?.push({ offset: pos.offset, value: batch[i].value.toString() });
        });
      }
      for (const [p, list] of sentTo) {
        assert.deepEqual(
          list.map((x) => x.offset),
          range(list.length),
          `offsets of partition ${p} are not 0..n-1 in send order`,
        );
      }
      const recorder = new Recorder({ commitEach: true });
      const got = await collect(await record(h.consumer({ topics: [topic] }), recorder), calls * perCall, h.timeoutMs);
      assert.equal(got.length, calls * perCall);
      assert.deepEqual(recorder.violations, []);
      const delivered = byPartition(got);
      for (const [p, list] of sentTo) {
        const records = delivered.get(p) ?? [];
        assert.deepEqual(
          records.map((r) => r.offset),
          list.map((x) => x.offset),
          `partition ${p} delivered out of order`,
        );
        assert.deepEqual(
          texts(records),
          list.map((x) => x.value),
        );
      }
    });
  });
}

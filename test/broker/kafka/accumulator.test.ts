import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProduceResult } from '@platformatic/kafka';
import { Accumulator, MAX_TIMESTAMP_SPAN_MS, type OutgoingMessage } from '../../../src/broker/kafka/accumulator.ts';

/** A fake produce request: records what was sent; every partition's log starts at `start` offsets. */
class FakeCluster {
  readonly requests: OutgoingMessage[][] = [];
  readonly ends = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  failNext: Error | undefined;
  delayMs = 5;

  send = async (messages: OutgoingMessage[]): Promise<ProduceResult> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.requests.push(messages);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.inFlight--;
    if (this.failNext !== undefined) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const offsets: NonNullable<ProduceResult['offsets']> = [];
    const counts = new Map<string, number>();
    for (const m of messages)
      counts.set(`${m.topic}/${m.partition}`, (counts.get(`${m.topic}/${m.partition}`) ?? 0) + 1);
    for (const [key, count] of counts) {
      const [topic, partition] = key.split('/');
      const base = this.ends.get(key) ?? 0;
      offsets.push({ topic, partition: Number(partition), offset: BigInt(base) });
      this.ends.set(key, base + count);
    }
    return { offsets };
  };
}

const msg = (partition: number, value = 'v'): OutgoingMessage => ({ topic: 't', partition, value: Buffer.from(value) });
const sizes = (n: number, each = 10) => Array.from({ length: n }, () => each);
const stamps = (n: number, at = 1_700_000_000_000) => Array.from({ length: n }, () => at);

describe('kafka adapter: produce request accumulator', () => {
  it('gives each record base offset + its rank in the partition, across calls sharing a request', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 0, batchBytes: 1_000_000, offsetsKnown: true });
    const [a, b] = await Promise.all([
      acc.add([msg(0), msg(1), msg(0)], sizes(3), stamps(3)),
      acc.add([msg(1), msg(0)], sizes(2), stamps(2)),
    ]);
    assert.equal(cluster.requests.length, 1, 'calls of one turn of the event loop share a request');
    assert.deepEqual(
      a.map((p) => [p.partition, p.offset]),
      [
        [0, 0],
        [1, 0],
        [0, 1],
      ],
    );
    assert.deepEqual(
      b.map((p) => [p.partition, p.offset]),
      [
        [1, 1],
        [0, 2],
      ],
    );
  });

  it('keeps one request in flight and sends what piled up meanwhile in the next', async () => {
    const cluster = new FakeCluster();
    cluster.delayMs = 20;
    const acc = new Accumulator(cluster.send, { lingerMs: 0, batchBytes: 1_000_000, offsetsKnown: true });
    const first = acc.add([msg(0)], sizes(1), stamps(1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [1, 2, 3].map(() => acc.add([msg(0)], sizes(1), stamps(1)));
    const results = await Promise.all([first, ...later]);
    assert.equal(cluster.maxInFlight, 1);
    assert.deepEqual(
      cluster.requests.map((r) => r.length),
      [1, 3],
    );
    assert.deepEqual(
      results.map(([p]) => p.offset),
      [0, 1, 2, 3],
    );
  });

  it('splits a call larger than batchBytes into requests sent in order', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 0, batchBytes: 25, offsetsKnown: true });
    const positions = await acc.add(
      Array.from({ length: 7 }, () => msg(0)),
      sizes(7),
      stamps(7),
    );
    assert.deepEqual(
      cluster.requests.map((r) => r.length),
      [2, 2, 2, 1],
    );
    assert.deepEqual(
      positions.map((p) => p.offset),
      [0, 1, 2, 3, 4, 5, 6],
    );
    const huge = await acc.add([msg(0, 'x'.repeat(100))], [100], stamps(1));
    assert.equal(huge[0].offset, 7, 'a record larger than batchBytes goes alone');
  });

  it('rejects every call of a failed request, drops the rest of a failed call, and carries on', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 0, batchBytes: 25, offsetsKnown: true });
    cluster.failNext = new Error('leader gone');
    const failing = acc.add(
      Array.from({ length: 4 }, () => msg(0)),
      sizes(4),
      stamps(4),
    );
    await assert.rejects(failing, /leader gone/);
    await acc.drained();
    assert.equal(cluster.requests.length, 1, 'the second chunk of the failed call was not sent');
    const [next] = await acc.add([msg(0)], sizes(1), stamps(1));
    assert.equal(next.offset, 0);
  });

  it('waits lingerMs before sending the first records of an idle producer', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 40, batchBytes: 1_000_000, offsetsKnown: true });
    const started = Date.now();
    const one = acc.add([msg(0)], sizes(1), stamps(1));
    await new Promise((resolve) => setTimeout(resolve, 15));
    const two = acc.add([msg(1)], sizes(1), stamps(1));
    await Promise.all([one, two]);
    assert.equal(cluster.requests.length, 1);
    assert.ok(Date.now() - started >= 39, 'sent before lingerMs');
  });

  it('sends at once when batchBytes are queued, without waiting for lingerMs', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 10_000, batchBytes: 30, offsetsKnown: true });
    const started = Date.now();
    await acc.add([msg(0), msg(0), msg(0)], sizes(3), stamps(3));
    assert.ok(Date.now() - started < 1_000);
  });

  it('never puts records more than 2^31 - 1 ms apart in one request', async () => {
    const cluster = new FakeCluster();
    const acc = new Accumulator(cluster.send, { lingerMs: 0, batchBytes: 1_000_000, offsetsKnown: true });
    const day = 86_400_000;
    const now = 1_700_000_000_000;
    const [backfill, live] = await Promise.all([
      acc.add([msg(0), msg(0), msg(0)], sizes(3), [now - 400 * day, now - 390 * day, now - 40 * day]),
      acc.add([msg(0), msg(1)], sizes(2), [now - 35 * day, now - 30 * day]),
    ]);
    assert.deepEqual(
      cluster.requests.map((r) => r.length),
      [2, 3],
      'the backfill splits where it spans more than ~24.8 days; the last chunk joins the next call',
    );
    assert.deepEqual(
      [...backfill, ...live].map((p) => [p.partition, p.offset]),
      [
        [0, 0],
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 0],
      ],
    );
    assert.equal(MAX_TIMESTAMP_SPAN_MS, 2 ** 31 - 1);
  });

  it('reports offset -1 when the cluster does not acknowledge (acks=none)', async () => {
    const acc = new Accumulator(async () => ({ unwritableNodes: [] }), {
      lingerMs: 0,
      batchBytes: 1_000,
      offsetsKnown: false,
    });
    assert.deepEqual(await acc.add([msg(2)], sizes(1), stamps(1)), [{ topic: 't', partition: 2, offset: -1 }]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBatches } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { uniqueName } from '../helpers.ts';
import { batch, fetchBody, produceBody } from './batches.ts';
import { listening } from './helpers.ts';
import { ApiKey, type Body, requestFrame } from './raw-client.ts';

const str = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString());

/** Records of a fetch answer's only partition: offset, key, value and headers as text. */
function fetched(answer: Body) {
  const partition = answer.responses[0].partitions[0];
  assert.equal(partition.errorCode, KafkaError.NONE, `fetch error ${partition.errorCode}`);
  return decodeBatches(partition.records, 1 << 20).flatMap((b) =>
    b.records.map((r) => ({
      offset: b.baseOffset + r.offsetDelta,
      key: str(r.key),
      value: str(r.value),
      headers: r.headers.map(([n, v]) => [str(n), str(v)]),
      timestamp: r.timestamp,
    })),
  );
}

describe('kafka listener: produce and fetch', () => {
  it('a produced batch comes back from fetch with keys, values, headers and timestamps; Herald reads it too', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('pf');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const client = await connect();
    const records = [
      { key: 'k1', value: 'v1', headers: [['h', 'x'] as [string, string]], timestamp: 1_000 },
      { key: null, value: null, timestamp: 2_000 },
      { key: 'k3', value: '', timestamp: 1_500 },
    ];
    const produced = await client.request(ApiKey.Produce, 9, produceBody(topic, 1, batch(records)));
    const answer = produced.responses[0].partitionResponses[0];
    assert.deepEqual([answer.errorCode, answer.baseOffset], [KafkaError.NONE, 0]);
    const got = fetched(await client.request(ApiKey.Fetch, 12, fetchBody(topic, 1, 0)));
    assert.deepEqual(got, [
      { offset: 0, key: 'k1', value: 'v1', headers: [['h', 'x']], timestamp: 1_000 },
      { offset: 1, key: null, value: null, headers: [], timestamp: 2_000 },
      { offset: 2, key: 'k3', value: '', headers: [], timestamp: 1_500 },
    ]);
    const read = await broker.admin.read({ topic, partition: 1, offset: 0 }, 10);
    assert.deepEqual(
      read.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers, r.timestamp]),
      [
        ['k1', 'v1', { h: 'x' }, 1_000],
        [null, null, {}, 2_000],
        ['k3', '', {}, 1_500],
      ],
    );
  });

  it('an uncompressed batch is stored as sent and fetched byte for byte, its offsets set by the log', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('raw');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.producer().send([{ topic, value: Buffer.from('first') }]);
    const client = await connect();
    const sent = batch([{ key: 'a', value: 'x', headers: [['h', '1']] }, { key: 'b', value: 'y' }], { producerId: 42, producerEpoch: 0, baseSequence: 0 });
    await client.request(ApiKey.Produce, 9, produceBody(topic, 0, sent));
    const answer = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 1));
    const records: Buffer = answer.responses[0].partitions[0].records;
    assert.equal(records.readBigInt64BE(0), 1n, 'its base offset is where it landed');
    assert.deepEqual(records.subarray(16), sent.subarray(16), 'from the magic byte on, the bytes the producer sent');
    const read = await broker.admin.read({ topic, partition: 0, offset: 1 }, 10);
    assert.deepEqual(read.map((r) => [r.offset, r.key?.toString(), r.headers]), [[1, 'a', { h: '1' }], [2, 'b', {}]]);
  });

  it('gzip and zstd batches are stored decompressed', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('codec');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    for (const compression of [1, 4] as const) {
      const body = produceBody(topic, 0, batch([{ value: `c${compression}-a` }, { value: `c${compression}-b` }], { compression }));
      const answer = await client.request(ApiKey.Produce, 9, body);
      assert.equal(answer.responses[0].partitionResponses[0].errorCode, KafkaError.NONE);
    }
    const read = await broker.admin.read({ topic, partition: 0, offset: 0 }, 10);
    assert.deepEqual(read.map((r) => r.value?.toString()), ['c1-a', 'c1-b', 'c4-a', 'c4-b']);
  });

  it('refuses what Herald cannot store unchanged, writing nothing of the batch', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('bad');
    const compacted = uniqueName('compacted');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.admin.createTopic({ name: compacted, partitions: 1, compacted: true });
    const client = await connect();
    const produce = async (name: string, records: Buffer) => {
      const answer = await client.request(ApiKey.Produce, 9, produceBody(name, 0, records));
      const p = answer.responses[0].partitionResponses[0];
      return [p.errorCode, p.errorMessage];
    };
    const latin1 = Buffer.from([0xe9, 0x74, 0xe9]);
    const ok = { value: 'fine' };
    const [code, message] = await produce(topic, batch([ok, { value: 'x', headers: [['h', latin1]] }]));
    assert.equal(code, KafkaError.INVALID_RECORD);
    assert.match(message, /not valid UTF-8/);
    assert.deepEqual(await produce(topic, batch([{ headers: [['h', 'a'], ['h', 'b']] }])), [KafkaError.INVALID_RECORD, 'header "h" is given twice']);
    assert.equal((await produce(compacted, batch([{ key: null, value: 'v' }])))[0], KafkaError.INVALID_RECORD);
    // A transactional batch outside any transaction of its producer.
    assert.equal((await produce(topic, batch([ok], { transactional: true })))[0], KafkaError.INVALID_PRODUCER_ID_MAPPING);
    const corrupted = batch([ok]);
    corrupted[corrupted.length - 1] ^= 0xff;
    assert.equal((await produce(topic, corrupted))[0], KafkaError.CORRUPT_MESSAGE);
    const oldMagic = batch([ok]);
    oldMagic.writeInt8(1, 16);
    assert.equal((await produce(topic, oldMagic))[0], KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    assert.equal((await produce(uniqueName('missing'), batch([ok])))[0], KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(await broker.admin.read({ topic, partition: 0, offset: 0 }, 10), []);
  });

  it('idempotent producers: a resent batch keeps its offset, a gap is refused, an old epoch is fenced', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('idem');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    const init = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(init.errorCode, KafkaError.NONE);
    const { producerId, producerEpoch } = init;
    const send = async (baseSequence: number, epoch = producerEpoch, n = 2) => {
      const records = Array.from({ length: n }, (_, i) => ({ value: `s${baseSequence + i}` }));
      const answer = await client.request(ApiKey.Produce, 9, produceBody(topic, 0, batch(records, { producerId, producerEpoch: epoch, baseSequence })));
      const p = answer.responses[0].partitionResponses[0];
      return [p.errorCode, p.baseOffset];
    };
    assert.deepEqual(await send(0), [KafkaError.NONE, 0]);
    assert.deepEqual(await send(2), [KafkaError.NONE, 2]);
    assert.deepEqual(await send(0), [KafkaError.NONE, 0], 'a retry of an earlier batch answers with its offset');
    assert.deepEqual(await send(2), [KafkaError.NONE, 2]);
    assert.deepEqual(await send(7), [KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, -1]);
    assert.deepEqual(await send(4), [KafkaError.NONE, 4]);
    const bumped = await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId, producerEpoch });
    assert.deepEqual([bumped.producerId, bumped.producerEpoch], [producerId, producerEpoch + 1]);
    assert.deepEqual(await send(6), [KafkaError.INVALID_PRODUCER_EPOCH, -1], 'the old epoch is fenced');
    assert.deepEqual(await send(0, producerEpoch + 1), [KafkaError.NONE, 6], 'the new epoch starts at sequence 0');
    const read = await broker.admin.read({ topic, partition: 0, offset: 0 }, 100);
    assert.deepEqual(read.map((r) => r.value?.toString()), ['s0', 's1', 's2', 's3', 's4', 's5', 's0', 's1']);
  });

  it('acks=0 gets no answer; pipelined requests are answered in the order sent', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('pipe');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    const ids = [client.nextCorrelationId(), client.nextCorrelationId(), client.nextCorrelationId(), client.nextCorrelationId()];
    const answers = [
      client.expect(ApiKey.Fetch, 12, ids[0]),
      client.expect(ApiKey.Produce, 9, ids[2]),
      client.expect(ApiKey.ApiVersions, 3, ids[3]),
    ];
    client.write(
      Buffer.concat([
        // A fetch that waits for data: answered only after the produce below, yet first.
        requestFrame(ApiKey.Fetch, 12, ids[0], fetchBody(topic, 0, 0, { maxWaitMs: 5_000, minBytes: 1 })),
        requestFrame(ApiKey.Produce, 9, ids[1], produceBody(topic, 0, batch([{ value: 'silent' }]), 0)),
        requestFrame(ApiKey.Produce, 9, ids[2], produceBody(topic, 0, batch([{ value: 'acked' }]))),
        requestFrame(ApiKey.ApiVersions, 3, ids[3], { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }),
      ]),
    );
    const [fetch, produce] = await Promise.all(answers);
    assert.deepEqual(client.order, [ids[0], ids[2], ids[3]]);
    // Both produces share one write (one turn of the event loop), which wakes the fetch.
    assert.deepEqual(fetched(fetch).map((r) => r.value), ['silent', 'acked']);
    assert.equal(produce.responses[0].partitionResponses[0].baseOffset, 1);
    const read = await broker.admin.read({ topic, partition: 0, offset: 0 }, 10);
    assert.deepEqual(read.map((r) => r.value?.toString()), ['silent', 'acked']);
  });

  it('fetch waits for records up to maxWaitMs, wakes on an append, and honours byte limits', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('poll');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    const empty = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 0, { maxWaitMs: 50, minBytes: 1 }));
    assert.deepEqual(fetched(empty), []);
    // A long poll that only an append can end before its minute is up.
    const waiting = client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 0, { maxWaitMs: 60_000, minBytes: 1 }));
    await broker.producer().send([{ topic, value: Buffer.from('wake') }]);
    assert.deepEqual(fetched(await waiting).map((r) => r.value), ['wake']);

    // Nine sends: nine stored batches of one record each.
    for (let i = 0; i < 9; i++) await broker.producer().send([{ topic, value: Buffer.alloc(1_000, 48 + i) }]);
    const some = fetched(await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 1, { partitionMaxBytes: 2_500 })));
    assert.deepEqual(some.map((r) => r.offset), [1, 2]);
    const oneAnyway = fetched(await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 1, { partitionMaxBytes: 10 })));
    assert.deepEqual(oneAnyway.map((r) => r.offset), [1], 'a batch larger than the limit still comes, alone');
    const outside = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 99));
    assert.equal(outside.responses[0].partitions[0].errorCode, KafkaError.OFFSET_OUT_OF_RANGE);
    assert.equal(outside.responses[0].partitions[0].highWatermark, 10);
  });

  it('a consumer working through a backlog gets every record once, in order, batch after batch', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('backlog');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.producer().send(Array.from({ length: 3_000 }, (_, i) => ({ topic, value: Buffer.from(`r${i}`) })));
    const client = await connect();
    const seen: number[] = [];
    while (seen.length < 3_000) {
      const answer = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, seen.length, { partitionMaxBytes: 4_096 }));
      const got = fetched(answer);
      assert.ok(got.length > 0 && got.length < 3_000, `a batch within the limit, got ${got.length}`);
      for (const r of got) {
        assert.equal(r.value, `r${r.offset}`);
        seen.push(r.offset);
      }
    }
    assert.deepEqual(seen, Array.from({ length: 3_000 }, (_, i) => i));
    // A fetch elsewhere than where the last one ended gets the whole batch holding its offset (as from Kafka:
    // clients skip what is below their fetch offset), and one after the topic is gone is refused.
    const inside = fetched(await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 10, { partitionMaxBytes: 16 })));
    assert.deepEqual(inside.filter((r) => r.offset >= 10).slice(0, 2).map((r) => r.offset), [10, 11]);
    await broker.admin.deleteTopic(topic);
    const gone = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 11));
    assert.equal(gone.responses[0].partitions[0].errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('stopping the broker ends a long poll at once', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('stop');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    void client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 0, { maxWaitMs: 600_000, minBytes: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await broker.stop();
    await client.closed;
  });

  it('ListOffsets: earliest, latest, by timestamp and the newest timestamp', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('offsets');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.producer().send([10, 30, 20, 40].map((timestamp) => ({ topic, value: Buffer.from('x'), timestamp })));
    const client = await connect();
    const ask = async (timestamp: number) => {
      const answer = await client.request(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      });
      const p = answer.topics[0].partitions[0];
      return [p.errorCode, p.offset, p.timestamp];
    };
    assert.deepEqual(await ask(-2), [0, 0, -1]);
    assert.deepEqual(await ask(-1), [0, 4, -1]);
    assert.deepEqual(await ask(25), [0, 1, 30], 'the first record at or after the time, in offset order');
    assert.deepEqual(await ask(41), [0, -1, -1]);
    assert.deepEqual(await ask(-3), [0, 3, 40]);
  });
});

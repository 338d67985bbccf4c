/**
 * Kafka transactions through the listener, request by request: what each API answers, what readers see while a
 * transaction is open, after it commits and after it aborts (by EndTxn, by a newer instance, by its timeout, by a
 * stop), and the refusals (fenced epochs, partitions not added, EndTxn without a transaction).
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { decodeBatches } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { eventually, text, uniqueName } from '../helpers.ts';
import { batch, fetchBody, produceBody } from './batches.ts';
import { listening } from './helpers.ts';
import { ApiKey, type Body, type RawClient, requestFrame } from './raw-client.ts';

/** A transactional producer driven request by request. */
class TxnProducer {
  readonly client: RawClient;
  readonly transactionalId: string;
  producerId = -1;
  epoch = -1;
  sequence = 0;

  constructor(client: RawClient, transactionalId: string) {
    this.client = client;
    this.transactionalId = transactionalId;
  }

  async init(timeoutMs = 60_000, identity?: { producerId: number; epoch: number }): Promise<number> {
    const answer = await this.client.request(ApiKey.InitProducerId, 4, {
      transactionalId: this.transactionalId,
      transactionTimeoutMs: timeoutMs,
      producerId: identity?.producerId ?? -1,
      producerEpoch: identity?.epoch ?? -1,
    });
    if (answer.errorCode === KafkaError.NONE) {
      this.producerId = answer.producerId;
      this.epoch = answer.producerEpoch;
      this.sequence = 0;
    }
    return answer.errorCode;
  }

  async addPartitions(topic: string, partitions: number[], epoch = this.epoch): Promise<number[]> {
    const answer = await this.client.request(ApiKey.AddPartitionsToTxn, 3, {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: epoch,
      topics: [{ name: topic, partitions }],
    });
    return answer.resultsByTopic[0].resultsByPartition.map((p: Body) => p.partitionErrorCode);
  }

  async produce(topic: string, values: string[], epoch = this.epoch): Promise<[number, number]> {
    const records = batch(
      values.map((value) => ({ value })),
      { producerId: this.producerId, producerEpoch: epoch, baseSequence: this.sequence, transactional: true },
    );
    const answer = await this.client.request(ApiKey.Produce, 9, { ...produceBody(topic, 0, records), transactionalId: this.transactionalId });
    const p = answer.responses[0].partitionResponses[0];
    if (p.errorCode === KafkaError.NONE) this.sequence += values.length;
    return [p.errorCode, p.baseOffset];
  }

  async addOffsets(group: string, epoch = this.epoch): Promise<number> {
    const answer = await this.client.request(ApiKey.AddOffsetsToTxn, 3, {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: epoch,
      groupId: group,
    });
    return answer.errorCode;
  }

  async commitOffset(group: string, topic: string, offset: number): Promise<number> {
    const answer = await this.client.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: this.transactionalId,
      groupId: group,
      producerId: this.producerId,
      producerEpoch: this.epoch,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    return answer.topics[0].partitions[0].errorCode;
  }

  async end(commit: boolean, epoch = this.epoch): Promise<number> {
    const answer = await this.client.request(ApiKey.EndTxn, 3, {
      transactionalId: this.transactionalId,
      producerId: this.producerId,
      producerEpoch: epoch,
      committed: commit,
    });
    return answer.errorCode;
  }
}

function producer(client: RawClient, transactionalId: string): TxnProducer {
  return new TxnProducer(client, transactionalId);
}

/** What a fetch of partition 0 from `offset` at `isolation` returns: offsets and values, and the partition's ends. */
async function fetchAt(client: RawClient, topic: string, offset: number, isolationLevel: 0 | 1) {
  const answer = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, offset, { isolationLevel }));
  const partition = answer.responses[0].partitions[0];
  assert.equal(partition.errorCode, KafkaError.NONE);
  const records = decodeBatches(partition.records, 1 << 20).flatMap((b) =>
    b.records.map((r) => `${b.baseOffset + r.offsetDelta}:${r.value === null ? null : Buffer.from(r.value).toString()}`),
  );
  return { records, highWatermark: partition.highWatermark, lastStableOffset: partition.lastStableOffset };
}

async function latest(client: RawClient, topic: string, isolationLevel: 0 | 1): Promise<number> {
  const answer = await client.request(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
  });
  return answer.topics[0].partitions[0].offset;
}

/** Values Herald's own admin reads from partition 0. */
async function heraldValues(broker: EmbeddedBroker, topic: string): Promise<(string | null)[]> {
  return (await broker.admin.read({ topic, partition: 0, offset: 0 }, 100)).map((r) => text(r.value));
}

async function ends(broker: EmbeddedBroker, topic: string): Promise<[committed: number, uncommitted: number]> {
  const [committed] = await broker.admin.endOffsets(topic, { isolation: 'read_committed' });
  const [uncommitted] = await broker.admin.endOffsets(topic, { isolation: 'read_uncommitted' });
  return [committed.latest, uncommitted.latest];
}

async function plain(client: RawClient, topic: string, value: string): Promise<number> {
  const answer = await client.request(ApiKey.Produce, 9, produceBody(topic, 0, batch([{ value }])));
  return answer.responses[0].partitionResponses[0].baseOffset;
}

async function topics(t: TestContext, broker: EmbeddedBroker, ...names: string[]): Promise<string[]> {
  const unique = names.map((n) => uniqueName(n));
  for (const name of unique) await broker.admin.createTopic({ name, partitions: 1 });
  void t;
  return unique;
}

describe('kafka listener: transactions', () => {
  it('records are written at once with real offsets, invisible to read_committed readers until EndTxn commits', async (t) => {
    const { broker, connect } = await listening(t);
    const [out, input] = await topics(t, broker, 'tx-out', 'tx-in');
    const client = await connect();
    const coordinator = await client.request(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx-a'] });
    assert.equal(coordinator.coordinators[0].errorCode, KafkaError.NONE);
    assert.equal(coordinator.coordinators[0].nodeId, 1);

    const seen: (string | null)[] = [];
    const reader = broker.reader({ from: [{ topic: out, partition: 0, offset: 0 }] });
    t.after(() => reader.close());
    await reader.start({ onRecords: (b) => void seen.push(...b.records.map((r) => text(r.value))) });

    const p = producer(client, uniqueName('tx'));
    assert.equal(await p.init(), KafkaError.NONE);
    assert.equal(p.epoch, 0);
    assert.equal(await plain(client, out, 'before'), 0);
    assert.deepEqual(await p.addPartitions(out, [0]), [KafkaError.NONE]);
    assert.deepEqual(await p.produce(out, ['t0', 't1']), [KafkaError.NONE, 1], 'the real offset, at once');
    assert.equal(await plain(client, out, 'after'), 3);

    // Open: read_committed readers stop at the last stable offset (1); read_uncommitted reads to the end (4).
    assert.deepEqual(await fetchAt(client, out, 0, 1), { records: ['0:before'], highWatermark: 4, lastStableOffset: 1 });
    assert.deepEqual((await fetchAt(client, out, 0, 0)).records, ['0:before', '1:t0', '2:t1', '3:after']);
    assert.deepEqual([await latest(client, out, 1), await latest(client, out, 0)], [1, 4]);
    assert.deepEqual(await heraldValues(broker, out), ['before']);
    assert.deepEqual(await ends(broker, out), [1, 4]);

    const group = uniqueName('g');
    assert.equal(await p.addOffsets(group), KafkaError.NONE);
    assert.equal(await p.commitOffset(group, input, 7), KafkaError.NONE);
    await assert.rejects(broker.admin.describeGroup(group), { code: 'HERALD_GROUP_NOT_FOUND' }, 'offsets wait for the commit');
    assert.deepEqual(seen, ['before']);

    assert.equal(await p.end(true), KafkaError.NONE);
    assert.deepEqual(await fetchAt(client, out, 0, 1), {
      records: ['0:before', '1:t0', '2:t1', '3:after'],
      highWatermark: 4,
      lastStableOffset: 4,
    });
    assert.deepEqual(await heraldValues(broker, out), ['before', 't0', 't1', 'after']);
    const described = await broker.admin.describeGroup(group);
    assert.equal(described.offsets.find((o) => o.topic === input)?.committed, 7);
    await eventually(async () => seen.length === 4, 'the tail reader to be woken by the commit');
    assert.deepEqual(seen, ['before', 't0', 't1', 'after']);

    // A retried EndTxn for the same outcome is answered again; the other outcome has no transaction to end.
    assert.equal(await p.end(true), KafkaError.NONE);
    assert.equal(await p.end(false), KafkaError.INVALID_TXN_STATE);
    // The next transaction of the same producer.
    assert.deepEqual(await p.addPartitions(out, [0]), [KafkaError.NONE]);
    assert.deepEqual(await p.produce(out, ['t2']), [KafkaError.NONE, 4]);
    assert.equal(await p.end(true), KafkaError.NONE);
    assert.deepEqual(await heraldValues(broker, out), ['before', 't0', 't1', 'after', 't2']);
  });

  it('an abort removes the records (their offsets stay a gap) and drops the offsets', async (t) => {
    const { broker, connect } = await listening(t);
    const [out, input] = await topics(t, broker, 'tx-out', 'tx-in');
    const client = await connect();
    const p = producer(client, uniqueName('tx'));
    await p.init();
    assert.deepEqual(await p.addPartitions(out, [0]), [KafkaError.NONE]);
    assert.deepEqual(await p.produce(out, ['a0', 'a1']), [KafkaError.NONE, 0]);
    assert.equal(await plain(client, out, 'plain'), 2);
    const group = uniqueName('g');
    assert.equal(await p.addOffsets(group), KafkaError.NONE);
    assert.equal(await p.commitOffset(group, input, 3), KafkaError.NONE);
    assert.equal(await p.end(false), KafkaError.NONE);

    for (const isolation of [0, 1] as const) {
      assert.deepEqual(await fetchAt(client, out, 0, isolation), { records: ['2:plain'], highWatermark: 3, lastStableOffset: 3 });
    }
    assert.deepEqual(await heraldValues(broker, out), ['plain']);
    assert.deepEqual(await ends(broker, out), [3, 3]);
    await assert.rejects(broker.admin.describeGroup(group), { code: 'HERALD_GROUP_NOT_FOUND' });
    assert.equal((await broker.admin.topicStorage(out)).partitions[0].bytes, 'plain'.length, 'the bytes are freed');
    // The aborted records stay gone after a restart.
    await broker.stop();
    const reopened = createEmbeddedBroker({ kind: 'embedded', dataDir: broker.dataDir, kafkaListener: { listen: 'off' } });
    t.after(() => reopened.stop());
    await reopened.start();
    assert.deepEqual(await heraldValues(reopened, out), ['plain']);
    assert.deepEqual(await ends(reopened, out), [3, 3]);
  });

  it('refuses what does not belong to the open transaction, and fenced or unknown producers', async (t) => {
    const { broker, connect } = await listening(t);
    const [out] = await topics(t, broker, 'tx-out');
    const client = await connect();
    const id = uniqueName('tx');
    const p = producer(client, id);
    assert.equal(await p.init(0), KafkaError.INVALID_TRANSACTION_TIMEOUT);
    assert.equal(await producer(client, '').init(), KafkaError.INVALID_REQUEST);
    await p.init();
    // No transaction yet: nothing to end, no group added, no partition added.
    assert.equal(await p.end(true), KafkaError.INVALID_TXN_STATE);
    assert.equal(await p.commitOffset(uniqueName('g'), out, 1), KafkaError.INVALID_TXN_STATE);
    assert.equal((await p.produce(out, ['not-added']))[0], KafkaError.INVALID_TXN_STATE);
    // All or nothing: a missing partition fails, the others are not attempted.
    assert.deepEqual(await p.addPartitions(out, [0, 5]), [KafkaError.OPERATION_NOT_ATTEMPTED, KafkaError.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal((await p.produce(out, ['still-not-added']))[0], KafkaError.INVALID_TXN_STATE);

    // A newer instance with the same transactional id: same producer id, next epoch; the old epoch is fenced.
    const old = { producerId: p.producerId, epoch: p.epoch };
    const newer = producer(client, id);
    assert.equal(await newer.init(), KafkaError.NONE);
    assert.deepEqual([newer.producerId, newer.epoch], [old.producerId, old.epoch + 1]);
    assert.deepEqual(await p.addPartitions(out, [0]), [KafkaError.PRODUCER_FENCED]);
    assert.equal(await p.addOffsets(uniqueName('g')), KafkaError.PRODUCER_FENCED);
    assert.equal(await p.end(true), KafkaError.PRODUCER_FENCED);
    assert.equal(await producer(client, id).init(60_000, old), KafkaError.PRODUCER_FENCED, 'a zombie cannot come back');
    assert.deepEqual(await newer.addPartitions(out, [0]), [KafkaError.NONE]);
    assert.equal((await p.produce(out, ['zombie']))[0], KafkaError.INVALID_PRODUCER_EPOCH);
    // Another producer id, or a made-up one, cannot write into this transaction.
    const stranger = producer(client, uniqueName('tx'));
    await stranger.init();
    assert.equal((await stranger.produce(out, ['stranger']))[0], KafkaError.INVALID_TXN_STATE);
    assert.deepEqual(await producer(client, id).addPartitions(out, [0]), [KafkaError.INVALID_PRODUCER_ID_MAPPING]);
    assert.deepEqual(await newer.produce(out, ['ok']), [KafkaError.NONE, 0]);
    assert.equal(await newer.end(true), KafkaError.NONE);
    assert.deepEqual(await heraldValues(broker, out), ['ok']);
  });

  it('a newer instance aborts the transaction the older one left open, at once', async (t) => {
    const { broker, connect } = await listening(t);
    const [out] = await topics(t, broker, 'tx-out');
    const id = uniqueName('tx');
    const zombie = producer(await connect(), id);
    await zombie.init();
    await zombie.addPartitions(out, [0]);
    assert.deepEqual(await zombie.produce(out, ['z0', 'z1']), [KafkaError.NONE, 0]);
    assert.deepEqual(await ends(broker, out), [0, 2]);
    const successor = producer(await connect(), id);
    assert.equal(await successor.init(), KafkaError.NONE);
    assert.deepEqual(await ends(broker, out), [2, 2]);
    assert.deepEqual(await heraldValues(broker, out), []);
    assert.equal(await zombie.end(true), KafkaError.PRODUCER_FENCED);
  });

  it('a transaction open past its timeout is aborted; its producer may initialise again with its identity', async (t) => {
    const { broker, connect } = await listening(t);
    const [out] = await topics(t, broker, 'tx-out');
    const client = await connect();
    const p = producer(client, uniqueName('tx'));
    await p.init(300);
    await p.addPartitions(out, [0]);
    assert.deepEqual(await p.produce(out, ['slow']), [KafkaError.NONE, 0]);
    assert.deepEqual(await ends(broker, out), [0, 1]);
    await eventually(async () => (await ends(broker, out))[0] === 1, 'the timed-out transaction to be aborted', 5_000);
    assert.deepEqual(await heraldValues(broker, out), []);
    assert.equal(await p.end(true), KafkaError.PRODUCER_FENCED, 'its epoch is over');
    const identity = { producerId: p.producerId, epoch: p.epoch };
    assert.equal(await p.init(60_000, identity), KafkaError.NONE);
    assert.equal(p.epoch, identity.epoch + 2, 'the timeout bumped the epoch once, this init once more');
  });

  it('requests for a transaction being ended get CONCURRENT_TRANSACTIONS', async (t) => {
    const { broker, connect } = await listening(t);
    const [out] = await topics(t, broker, 'tx-out');
    const client = await connect();
    const p = producer(client, uniqueName('tx'));
    await p.init();
    await p.addPartitions(out, [0]);
    await p.produce(out, ['x']);
    const ids = [client.nextCorrelationId(), client.nextCorrelationId(), client.nextCorrelationId()];
    const answers = [
      client.expect(ApiKey.EndTxn, 3, ids[0]),
      client.expect(ApiKey.AddPartitionsToTxn, 3, ids[1]),
      client.expect(ApiKey.InitProducerId, 4, ids[2]),
    ];
    const current = { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.epoch };
    // Pipelined: the EndTxn is being written when the next two arrive.
    client.write(
      Buffer.concat([
        requestFrame(ApiKey.EndTxn, 3, ids[0], { ...current, committed: true }),
        requestFrame(ApiKey.AddPartitionsToTxn, 3, ids[1], { ...current, topics: [{ name: out, partitions: [0] }] }),
        requestFrame(ApiKey.InitProducerId, 4, ids[2], { ...current, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }),
      ]),
    );
    const [ended, added, initialised] = await Promise.all(answers);
    assert.equal(ended.errorCode, KafkaError.NONE);
    assert.equal(added.resultsByTopic[0].resultsByPartition[0].partitionErrorCode, KafkaError.CONCURRENT_TRANSACTIONS);
    assert.equal(initialised.errorCode, KafkaError.CONCURRENT_TRANSACTIONS);
    assert.deepEqual(await heraldValues(broker, out), ['x']);
  });
});

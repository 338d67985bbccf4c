/**
 * Fuzzing the listener's frame decoding: random bytes, random sizes, and valid requests with flipped, truncated
 * or overwritten bytes, thrown at a live listener over many connections. Afterwards the process must still serve,
 * and the log must still be whole (dense offsets, readable records, the same after a restart). The seed is fixed,
 * so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { encodeSubscription } from '../../../../src/broker/embedded/kafka-protocol/groups/consumer-protocol.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { uniqueName } from '../helpers.ts';
import { batch, fetchBody, produceBody } from './batches.ts';
import { listening } from './helpers.ts';
import { prng } from '../../../support/prng.ts';
import { ApiKey, RawClient, requestFrame } from './raw-client.ts';

const SEED = 0x5eed;
const ROUNDS = 1_500;
const PARALLEL = 8;

function validFrames(topic: string, group: string): Buffer[] {
  const bodies: [number, number, object][] = [
    [ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }],
    [ApiKey.Metadata, 12, { topics: [{ topicId: '', name: topic }], allowAutoTopicCreation: false }],
    [ApiKey.Metadata, 4, { topics: null, allowAutoTopicCreation: false }],
    [ApiKey.Produce, 9, produceBody(topic, 0, batch([{ key: 'k', value: 'v', headers: [['h', 'x']] }]))],
    [ApiKey.Produce, 7, produceBody(topic, 1, batch([{ value: 'gz' }, { value: 'gz2' }], { compression: 1 }))],
    [ApiKey.Produce, 9, produceBody(topic, 0, batch([{ value: 'id' }], { producerId: 1, producerEpoch: 0, baseSequence: 0 }))],
    [ApiKey.Fetch, 12, fetchBody(topic, 0, 0, { maxWaitMs: 20 })],
    [ApiKey.Fetch, 4, fetchBody(topic, 1, 0, { maxWaitMs: 20 })],
    [ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] }],
    [ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] }],
    [
      ApiKey.JoinGroup,
      7,
      {
        groupId: group,
        sessionTimeoutMs: 1_000,
        rebalanceTimeoutMs: 1_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription([topic]) }],
        reason: null,
      },
    ],
    [ApiKey.Heartbeat, 4, { groupId: group, generationId: 1, memberId: 'm', groupInstanceId: null }],
    [ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] }],
    [ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, topics: null }], requireStable: false }],
    [ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false }],
    [ApiKey.ListGroups, 4, { statesFilter: [], typesFilter: [] }],
    [ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 1_000, producerId: -1, producerEpoch: -1 }],
    [ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['fuzz-tx'] }],
    [ApiKey.InitProducerId, 4, { transactionalId: 'fuzz-tx', transactionTimeoutMs: 1_000, producerId: -1, producerEpoch: -1 }],
    [ApiKey.AddPartitionsToTxn, 3, { transactionalId: 'fuzz-tx', producerId: 1, producerEpoch: 0, topics: [{ name: topic, partitions: [0, 1] }] }],
    [ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'fuzz-tx', producerId: 1, producerEpoch: 0, groupId: group }],
    [ApiKey.TxnOffsetCommit, 3, { transactionalId: 'fuzz-tx', groupId: group, producerId: 1, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] }],
    [ApiKey.EndTxn, 3, { transactionalId: 'fuzz-tx', producerId: 1, producerEpoch: 0, committed: true }],
    [ApiKey.Produce, 9, produceBody(topic, 0, batch([{ value: 'tx' }], { producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true }))],
    [ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }],
    [ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' }],
  ];
  return bodies.map(([key, version, body], i) => requestFrame(key, version, i + 1, body));
}

/** One hostile input, from `valid` frames and the random source. */
function hostile(valid: Buffer[], random: () => number): Buffer {
  const pick = valid[Math.floor(random() * valid.length)];
  const strategy = Math.floor(random() * 6);
  const int = (n: number) => Math.floor(random() * n);
  switch (strategy) {
    case 0: {
      // Pure garbage.
      const junk = Buffer.alloc(int(300));
      for (let i = 0; i < junk.length; i++) junk[i] = int(256);
      return junk;
    }
    case 1: {
      // A valid request with a few bytes flipped after the size.
      const copy = Buffer.from(pick);
      for (let n = 1 + int(4); n > 0; n--) copy[4 + int(copy.length - 4)] ^= 1 + int(255);
      return copy;
    }
    case 2: {
      // Truncated, with the size saying so (the body ends early) or not (the connection ends early).
      const cut = Buffer.from(pick.subarray(0, 4 + int(pick.length - 4)));
      if (random() < 0.5) cut.writeInt32BE(cut.length - 4, 0);
      return cut;
    }
    case 3: {
      // A 2- or 4-byte field overwritten with an extreme value.
      const copy = Buffer.from(pick);
      const at = 4 + int(Math.max(1, copy.length - 8));
      const extreme = [0xff, 0x7f, 0x80, 0x00][int(4)];
      copy.fill(extreme, at, Math.min(copy.length, at + (random() < 0.5 ? 2 : 4)));
      return copy;
    }
    case 4: {
      // A random size, then whatever.
      const head = Buffer.alloc(4);
      head.writeInt32BE(int(0x7fffffff) - (random() < 0.3 ? 0x40000000 : 0) * 2);
      return Buffer.concat([head, pick.subarray(4, 4 + int(pick.length))]);
    }
    default: {
      // Several requests, one of them damaged.
      const damaged = Buffer.from(pick);
      damaged[4 + int(damaged.length - 4)] = int(256);
      return Buffer.concat([valid[int(valid.length)], damaged, valid[int(valid.length)]]);
    }
  }
}

/** Sends `bytes` and lets the listener chew on them briefly (or close), then hangs up. */
async function throwAt(port: number, bytes: Buffer): Promise<void> {
  const client = await RawClient.connect(port);
  client.write(bytes);
  await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 25))]);
  client.close();
}

describe('kafka listener: fuzzing', () => {
  it('survives random and mutated frames; the log stays whole and the listener keeps serving', { timeout: 300_000 }, async (t) => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));

    const { broker, port, dataDir, connect, logs } = await listening(t, { maxFrameBytes: 64 * 1024, autoCreateTopics: false });
    const topic = uniqueName('fuzz');
    const group = uniqueName('fuzz-group');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const valid = validFrames(topic, group);
    const random = prng(SEED);
    const inputs = Array.from({ length: ROUNDS }, () => hostile(valid, random));
    for (let i = 0; i < inputs.length; i += PARALLEL) {
      await Promise.all(inputs.slice(i, i + PARALLEL).map((bytes) => throwAt(port, bytes)));
    }
    assert.deepEqual(unhandled, []);
    assert.deepEqual(logs.lines.filter((l) => l.level >= 50).map((l) => JSON.stringify(l).slice(0, 600)), [], 'no handler failed on hostile input');
    assert.ok(logs.matching('closed a connection').length > ROUNDS / 4, 'most hostile inputs closed their connection');

    // Still serving: a clean produce and fetch.
    const client = await connect();
    const produced = await client.request(ApiKey.Produce, 9, produceBody(topic, 0, batch([{ value: 'after' }])));
    const { errorCode, baseOffset } = produced.responses[0].partitionResponses[0];
    assert.equal(errorCode, KafkaError.NONE);
    const fetched = await client.request(ApiKey.Fetch, 12, fetchBody(topic, 0, baseOffset));
    assert.equal(fetched.responses[0].partitions[0].errorCode, KafkaError.NONE);

    // The log is whole: dense offsets, and the same after a restart.
    const snapshot = async (b: typeof broker) => {
      const out: string[][] = [];
      for (const { partition, earliest, latest } of (await b.admin.describeTopic(topic)).partitions) {
        const records = latest > earliest ? await b.admin.read({ topic, partition, offset: earliest }, latest - earliest) : [];
        assert.deepEqual(records.map((r) => r.offset), Array.from({ length: latest - earliest }, (_, i) => earliest + i));
        out.push(records.map((r) => `${r.offset}:${r.value?.toString('hex')}:${JSON.stringify(r.headers)}`));
      }
      return out;
    };
    const before = await snapshot(broker);
    await broker.stop();
    const reopened = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => reopened.stop());
    await reopened.start();
    assert.deepEqual(await snapshot(reopened), before);
  });
});

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createEmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { resolveListenerOptions } from '../../../../src/broker/embedded/kafka-protocol/index.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { rejectsWithCode, tempDir, uniqueName } from '../helpers.ts';
import { captureLogs, listening } from './helpers.ts';
import { fetchBody } from './batches.ts';
import { ApiKey, RawClient, requestFrame } from './raw-client.ts';

const API_VERSIONS = { clientSoftwareName: 'raw', clientSoftwareVersion: '1' };

/** Sends `bytes` on a fresh connection and waits for the broker to close it. */
async function closedBy(port: number, bytes: Buffer): Promise<void> {
  const client = await RawClient.connect(port);
  client.write(bytes);
  await client.closed;
}

function frame(size: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(size);
  return Buffer.concat([head, body]);
}

describe('kafka listener: connections', () => {
  it('ApiVersions lists every API; a version newer than ours gets UNSUPPORTED_VERSION and the list, in v0', async (t) => {
    const { connect } = await listening(t);
    const client = await connect();
    const answer = await client.request(ApiKey.ApiVersions, 3, API_VERSIONS);
    assert.equal(answer.errorCode, KafkaError.NONE);
    const byKey = new Map(answer.apiKeys.map((k: { apiKey: number; minVersion: number; maxVersion: number }) => [k.apiKey, [k.minVersion, k.maxVersion]]));
    assert.deepEqual(byKey.get(ApiKey.Produce), [3, 11]);
    assert.deepEqual(byKey.get(ApiKey.Fetch), [4, 17]);
    assert.ok(byKey.has(ApiKey.SaslAuthenticate));
    const correlationId = client.nextCorrelationId();
    const future = client.expect(ApiKey.ApiVersions, 0, correlationId);
    const newer = requestFrame(ApiKey.ApiVersions, 3, correlationId, API_VERSIONS);
    newer.writeInt16BE(99, 6);
    client.write(newer);
    const refused = await future;
    assert.equal(refused.errorCode, KafkaError.UNSUPPORTED_VERSION);
    assert.equal(refused.apiKeys.length, answer.apiKeys.length);
  });

  it('bad bytes close only their connection, with one log line each; the listener goes on serving', async (t) => {
    const { port, connect, logs } = await listening(t, { maxFrameBytes: 4096 });
    const bystander = await connect();
    const unknownKey = requestFrame(ApiKey.ApiVersions, 3, 1, API_VERSIONS);
    unknownKey.writeInt16BE(999, 4);
    const oldProduce = requestFrame(ApiKey.ApiVersions, 3, 1, API_VERSIONS);
    oldProduce.writeInt16BE(ApiKey.Produce, 4);
    oldProduce.writeInt16BE(2, 6);
    const cases: [string, Buffer][] = [
      ['unknown API key 999', unknownKey],
      ['Produce version 2 is not supported', oldProduce],
      ['exceeds the limit of 4096', frame(1_000_000)],
      ['frame size -5 is invalid', frame(-5)],
      ['truncated', frame(3, Buffer.from([0, 18, 0]))],
      ['truncated', frame(12, Buffer.from([0, 3, 0, 9, 0, 0, 0, 1, 0x7f, 0x7f, 0, 0]))],
    ];
    for (const [reason, bytes] of cases) {
      const before = logs.matching('closed a connection').length;
      await closedBy(port, bytes);
      const lines = logs.matching('closed a connection').slice(before);
      assert.equal(lines.length, 1, reason);
      assert.match(String(lines[0].reason), new RegExp(reason), String(lines[0].reason));
    }
    const still = await bystander.request(ApiKey.ApiVersions, 3, API_VERSIONS);
    assert.equal(still.errorCode, KafkaError.NONE);
  });

  it('an oversized frame is refused from its size alone, before its bytes arrive', async (t) => {
    const { port } = await listening(t, { maxFrameBytes: 1024 });
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(frame(2048).subarray(0, 4));
    await new Promise((resolve) => socket.once('close', resolve));
  });

  it('SASL/PLAIN: nothing but the handshake before authenticating; wrong credentials close the connection', async (t) => {
    const sasl = { username: 'alice', password: 's3cret' };
    const { port, connect, logs } = await listening(t, { sasl });
    const token = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`);

    await closedBy(port, requestFrame(ApiKey.Metadata, 9, 1, { topics: [], allowAutoTopicCreation: false }));
    assert.equal(logs.matching('closed a connection').length, 1);

    const good = await connect();
    assert.equal((await good.request(ApiKey.ApiVersions, 3, API_VERSIONS)).errorCode, KafkaError.NONE);
    const scram = await good.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' });
    assert.deepEqual([scram.errorCode, scram.mechanisms], [KafkaError.UNSUPPORTED_SASL_MECHANISM, ['PLAIN']]);
    assert.equal((await good.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, KafkaError.NONE);
    assert.equal((await good.request(ApiKey.SaslAuthenticate, 2, { authBytes: token('alice', 's3cret') })).errorCode, KafkaError.NONE);
    const metadata = await good.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    assert.equal(metadata.brokers[0].port, port);

    const bad = await connect();
    await bad.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    const denied = await bad.request(ApiKey.SaslAuthenticate, 2, { authBytes: token('alice', 'guess') });
    assert.equal(denied.errorCode, KafkaError.SASL_AUTHENTICATION_FAILED);
    await bad.closed;

    // SaslHandshake v0: the token follows as a bare frame, answered by an empty one.
    const legacy = await connect();
    await legacy.request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    legacy.write(frame(token('alice', 's3cret').length, token('alice', 's3cret')));
    const after = await legacy.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    assert.equal(after.brokers.length, 1);
    assert.deepEqual(legacy.unmatched, [Buffer.alloc(0)]);
  });

  it('auto mode on a taken port runs without the listener; an explicit taken port fails the start and frees the data dir', async (t) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    t.after(() => blocker.close());
    const taken = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDir(t);
    const { logger, logs } = captureLogs();
    const explicit = createEmbeddedBroker({ kind: 'embedded', dataDir, kafkaListener: { listen: `127.0.0.1:${taken}` } }, logger);
    const error = await rejectsWithCode(() => explicit.start(), 'HERALD_CONFIG_INVALID');
    assert.match(error.message, /EADDRINUSE/);
    // The same data dir opens again: the failed start released it.
    const again = createEmbeddedBroker({ kind: 'embedded', dataDir, kafkaListener: { listen: 'off' } }, logger);
    await again.start();
    assert.equal(again.kafkaListenerAddress(), null);
    await again.stop();
    assert.equal(logs.matching('is taken').length, 0);
  });

  it('auto mode: when 127.0.0.1:9092 is taken (here, by the test Kafka or by the test) one log line, no listener', async (t) => {
    // Hold 9092 unless something (the test Kafka) already does.
    const holder = net.createServer();
    const held = await new Promise<boolean>((resolve) => {
      holder.once('error', () => resolve(false));
      holder.listen({ host: '127.0.0.1', port: 9092 }, () => resolve(true));
    });
    t.after(() => (held ? holder.close() : undefined));
    const { logger, logs } = captureLogs();
    const broker = createEmbeddedBroker({ kind: 'embedded', dataDir: tempDir(t), kafkaListener: {} }, logger);
    t.after(() => broker.stop());
    await broker.start();
    assert.equal(broker.kafkaListenerAddress(), null);
    assert.equal(logs.matching('127.0.0.1:9092 is taken').length, 1);
  });

  it('listening beyond loopback needs SASL credentials', () => {
    assert.throws(() => resolveListenerOptions({ listen: '0.0.0.0:9093' }), /requires sasl/);
    assert.throws(() => resolveListenerOptions({ listen: 'nonsense' }), /listen must be/);
    assert.throws(() => resolveListenerOptions({ listen: '127.0.0.1:1', sasl: { username: 'u', password: '' } }), /both/);
    assert.equal(resolveListenerOptions({ listen: '0.0.0.0:9093', sasl: { username: 'u', password: 'p' } }).mode, 'explicit');
    assert.equal(resolveListenerOptions({ listen: '[::1]:9093' }).host, '::1');
    assert.equal(resolveListenerOptions(undefined).mode, 'off');
    assert.equal(resolveListenerOptions({}).mode, 'auto');
  });

  it('Metadata advertises the bound port and creates topics clients ask for, unless told not to', async (t) => {
    const { broker, connect, port } = await listening(t, { defaultPartitions: 3 });
    const client = await connect();
    const name = uniqueName('auto');
    const created = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: '', name }], allowAutoTopicCreation: true });
    assert.deepEqual([created.brokers[0].host, created.brokers[0].port], ['127.0.0.1', port]);
    assert.equal(created.topics[0].partitions.length, 3);
    assert.equal((await broker.admin.describeTopic(name)).partitions.length, 3);
    const other = uniqueName('no');
    const missing = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: '', name: other }], allowAutoTopicCreation: false });
    assert.equal(missing.topics[0].errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
    const invalid = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: '', name: 'bad name!' }], allowAutoTopicCreation: true });
    assert.equal(invalid.topics[0].errorCode, KafkaError.INVALID_TOPIC_EXCEPTION);
    const byId = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: created.topics[0].topicId, name: null }], allowAutoTopicCreation: false });
    assert.equal(byId.topics[0].name, name);
  });

  it('Fetch by topic id (v13+) finds a topic created after the first lookup, and not one deleted and made again', async (t) => {
    const { broker, connect } = await listening(t);
    const client = await connect();
    const idOf = async (name: string) => {
      const answer = await client.request(ApiKey.Metadata, 12, { topics: [{ topicId: '', name }], allowAutoTopicCreation: false });
      return answer.topics[0].topicId as string;
    };
    const fetchById = async (id: string) => {
      const body = fetchBody('', 0, 0);
      body.topics[0].topicId = id;
      const answer = await client.request(ApiKey.Fetch, 13, body);
      return answer.responses[0].partitions[0].errorCode as number;
    };
    const first = uniqueName('byid');
    await broker.admin.createTopic({ name: first, partitions: 1 });
    assert.equal(await fetchById(await idOf(first)), KafkaError.NONE);
    const later = uniqueName('later');
    await broker.admin.createTopic({ name: later, partitions: 1 });
    assert.equal(await fetchById(await idOf(later)), KafkaError.NONE, 'a topic made after the first fetch by id');
    const old = await idOf(first);
    await broker.admin.deleteTopic(first);
    await broker.admin.createTopic({ name: first, partitions: 1 });
    assert.equal(await fetchById(old), 100 /* UNKNOWN_TOPIC_ID */, 'the deleted topic');
    const renewed = await idOf(first);
    assert.notEqual(renewed, old);
    assert.equal(await fetchById(renewed), KafkaError.NONE, 'the topic made again under the same name');
  });

  it('CreateTopics, DescribeConfigs and DeleteTopics', async (t) => {
    const { broker, connect } = await listening(t);
    const client = await connect();
    const name = uniqueName('admin');
    const create = (topic: object, validateOnly = false) => client.request(ApiKey.CreateTopics, 7, { topics: [topic], timeoutMs: 5_000, validateOnly });
    const spec = { name, numPartitions: 2, replicationFactor: -1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '60000' }] };
    const dryRun = await create(spec, true);
    assert.equal(dryRun.topics[0].errorCode, KafkaError.NONE);
    assert.equal(await broker.admin.describeTopic(name).catch(() => 'missing'), 'missing');
    const made = await create(spec);
    assert.deepEqual([made.topics[0].errorCode, made.topics[0].numPartitions], [KafkaError.NONE, 2]);
    assert.equal((await broker.admin.describeTopic(name)).compacted, true);
    assert.equal((await create(spec)).topics[0].errorCode, KafkaError.TOPIC_ALREADY_EXISTS);
    assert.equal((await create({ ...spec, name: uniqueName('rf'), replicationFactor: 3 })).topics[0].errorCode, KafkaError.INVALID_REPLICATION_FACTOR);
    assert.equal((await create({ ...spec, name: uniqueName('p'), numPartitions: 0 })).topics[0].errorCode, KafkaError.INVALID_PARTITIONS);
    const configs = await client.request(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const values = Object.fromEntries(configs.results[0].configs.map((c: { name: string; value: string }) => [c.name, c.value]));
    assert.equal(values['cleanup.policy'], 'compact');
    assert.equal(values['retention.ms'], '60000');
    const deleted = await client.request(ApiKey.DeleteTopics, 6, { topics: [{ name, topicId: '' }], topicNames: [], timeoutMs: 5_000 });
    assert.equal(deleted.responses[0].errorCode, KafkaError.NONE);
    const again = await client.request(ApiKey.DeleteTopics, 4, { topicNames: [name], timeoutMs: 5_000 });
    assert.equal(again.responses[0].errorCode, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaBrokerSpec } from '../../../src/broker/index.ts';
import { resolveConsumerOptions } from '../../../src/broker/kafka/consumer-options.ts';
import { DEFAULT_BATCH_BYTES, DEFAULT_TRANSACTION_INTERVAL_MS, resolveSettings } from '../../../src/broker/kafka/options.ts';
import { topicConfigs } from '../../../src/broker/kafka/topics.ts';
import { HeraldError } from '../../../src/errors.ts';

const spec = (extra: Partial<KafkaBrokerSpec> = {}): KafkaBrokerSpec => ({
  kind: 'kafka',
  bootstrap: ['127.0.0.1:9092'],
  ...extra,
});

function throwsCode(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof HeraldError, String(err));
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal((err.details as { field?: string }).field, field);
    return true;
  });
}

describe('kafka adapter: broker spec to client options', () => {
  it('defaults to an idempotent acks=all producer without compression or linger', () => {
    const settings = resolveSettings(spec());
    assert.deepEqual(settings.producer, {
      acks: -1,
      idempotent: true,
      lingerMs: 0,
      batchBytes: DEFAULT_BATCH_BYTES,
      compression: 'none',
    });
    assert.equal(settings.clientId, 'herald');
    assert.equal(settings.replicationFactor, -1);
    assert.equal(settings.transactionIntervalMs, DEFAULT_TRANSACTION_INTERVAL_MS);
    assert.equal(resolveSettings(spec({ transactions: { intervalMs: 0 } })).transactionIntervalMs, 0);
    assert.equal(settings.transactionProtocol, 'auto');
    assert.equal(resolveSettings(spec({ transactions: { protocol: 1 } })).transactionProtocol, 1);
    assert.deepEqual(settings.base.bootstrapBrokers, ['127.0.0.1:9092']);
    assert.equal(settings.base.sasl, undefined);
    assert.equal(settings.base.tls, undefined);
  });

  it('maps acks, idempotence, linger, batch bytes and compression', () => {
    const leader = resolveSettings(
      spec({ producer: { acks: 'leader', lingerMs: 5, batchBytes: 1000, compression: 'zstd' } }),
    );
    assert.deepEqual(leader.producer, {
      acks: 1,
      idempotent: false,
      lingerMs: 5,
      batchBytes: 1000,
      compression: 'zstd',
    });
    assert.equal(resolveSettings(spec({ producer: { acks: 'none' } })).producer.acks, 0);
    assert.equal(resolveSettings(spec({ producer: { acks: 'all', idempotent: false } })).producer.idempotent, false);
  });

  it('refuses an idempotent producer without acks=all', () => {
    throwsCode(
      () => resolveSettings(spec({ producer: { acks: 'leader', idempotent: true } })),
      'HERALD_CONFIG_INVALID',
      'producer.idempotent',
    );
  });

  it('passes SASL and TLS through to the client', () => {
    const sasl = { mechanism: 'SCRAM-SHA-512' as const, username: 'u', password: 'p' };
    const settings = resolveSettings(
      spec({ sasl, tls: { ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false } }),
    );
    assert.deepEqual(settings.base.sasl, sasl);
    assert.deepEqual(settings.base.tls, { ca: 'CA', cert: 'CERT', key: 'KEY', rejectUnauthorized: false });
    assert.deepEqual(resolveSettings(spec({ tls: true })).base.tls, {});
    assert.equal(resolveSettings(spec({ tls: false })).base.tls, undefined);
    const plain = resolveSettings(spec({ sasl: { mechanism: 'PLAIN', username: 'a', password: 'b' } }));
    assert.deepEqual(plain.base.sasl, { mechanism: 'PLAIN', username: 'a', password: 'b' });
  });

  it('names the offending field of a bad spec', () => {
    const bad = <T>(value: unknown) => value as T;
    throwsCode(() => resolveSettings(spec({ bootstrap: [] })), 'HERALD_CONFIG_INVALID', 'bootstrap');
    throwsCode(() => resolveSettings(spec({ bootstrap: ['localhost'] })), 'HERALD_CONFIG_INVALID', 'bootstrap');
    throwsCode(() => resolveSettings(spec({ bootstrap: ['h:99999'] })), 'HERALD_CONFIG_INVALID', 'bootstrap');
    throwsCode(() => resolveSettings(spec({ clientId: 'a b' })), 'HERALD_CONFIG_INVALID', 'clientId');
    throwsCode(() => resolveSettings(spec({ replicationFactor: 0 })), 'HERALD_CONFIG_INVALID', 'replicationFactor');
    throwsCode(
      () => resolveSettings(spec({ producer: { acks: bad('most') } })),
      'HERALD_CONFIG_INVALID',
      'producer.acks',
    );
    throwsCode(
      () => resolveSettings(spec({ producer: { compression: bad('brotli') } })),
      'HERALD_CONFIG_INVALID',
      'producer.compression',
    );
    throwsCode(
      () => resolveSettings(spec({ producer: { lingerMs: -1 } })),
      'HERALD_CONFIG_INVALID',
      'producer.lingerMs',
    );
    throwsCode(
      () => resolveSettings(spec({ transactions: { intervalMs: 1.5 } })),
      'HERALD_CONFIG_INVALID',
      'transactions.intervalMs',
    );
    throwsCode(
      () => resolveSettings(spec({ transactions: { protocol: 3 as unknown as 2 } })),
      'HERALD_CONFIG_INVALID',
      'transactions.protocol',
    );
    throwsCode(
      () => resolveSettings(spec({ producer: { batchBytes: 0 } })),
      'HERALD_CONFIG_INVALID',
      'producer.batchBytes',
    );
    throwsCode(
      () => resolveSettings(spec({ sasl: bad({ mechanism: 'GSSAPI', username: 'u', password: 'p' }) })),
      'HERALD_CONFIG_INVALID',
      'sasl.mechanism',
    );
  });

  it('accepts bracketed IPv6 bootstrap servers', () => {
    assert.deepEqual(resolveSettings(spec({ bootstrap: ['[::1]:9092'] })).base.bootstrapBrokers, ['[::1]:9092']);
  });
});

describe('kafka adapter: topic specs to topic configs', () => {
  it('maps compaction, retention and passes extra configs through', () => {
    assert.deepEqual(topicConfigs({ name: 't', partitions: 1 }), []);
    assert.deepEqual(
      topicConfigs({
        name: 't',
        partitions: 3,
        compacted: true,
        retentionMs: 60_000,
        retentionBytes: 1_000_000,
        configs: { 'min.insync.replicas': '2', 'retention.ms': '5000' },
      }),
      [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'retention.ms', value: '5000' },
        { name: 'retention.bytes', value: '1000000' },
        { name: 'min.insync.replicas', value: '2' },
      ],
    );
  });

  it('rejects names and numbers Kafka would refuse', () => {
    const bad = <T>(value: unknown) => value as T;
    for (const name of ['', 'a b', 'a/b', '.', '..', 'x'.repeat(250), 'ünï']) {
      throwsCode(() => topicConfigs({ name, partitions: 1 }), 'HERALD_INVALID_ARGUMENT', 'name');
    }
    for (const partitions of [0, -1, 1.5, Number.NaN, 10_001]) {
      throwsCode(() => topicConfigs({ name: 't', partitions }), 'HERALD_INVALID_ARGUMENT', 'partitions');
    }
    throwsCode(() => topicConfigs({ name: 't', partitions: 1, replicationFactor: 0 }), 'HERALD_INVALID_ARGUMENT');
    throwsCode(() => topicConfigs({ name: 't', partitions: 1, retentionMs: 0 }), 'HERALD_INVALID_ARGUMENT');
    throwsCode(() => topicConfigs({ name: 't', partitions: 1, compacted: bad('yes') }), 'HERALD_INVALID_ARGUMENT');
    throwsCode(
      () => topicConfigs({ name: 't', partitions: 1, configs: bad({ 'retention.ms': 5 }) }),
      'HERALD_INVALID_ARGUMENT',
    );
  });
});

describe('kafka adapter: consumer options', () => {
  it('derives heartbeat and rebalance timings from the session timeout', () => {
    const resolved = resolveConsumerOptions({ group: 'g', topics: ['a', 'a', 'b'] });
    assert.deepEqual(resolved, {
      group: 'g',
      topics: ['a', 'b'],
      startAt: 'earliest',
      maxBatchSize: 500,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 30_000,
      clientId: undefined,
      assignment: 'spread',
      isolation: 'read_committed',
      transactionalId: undefined,
      transactionTimeoutMs: 10_000,
      transactionIntervalMs: undefined,
    });
    const short = resolveConsumerOptions({ group: 'g', topics: ['a'], sessionTimeoutMs: 6_000, startAt: 'latest' });
    assert.equal(short.heartbeatIntervalMs, 2_000);
    assert.equal(short.startAt, 'latest');
  });

  it('rejects bad options', () => {
    const bad = <T>(value: unknown) => value as T;
    throwsCode(() => resolveConsumerOptions({ group: '', topics: ['a'] }), 'HERALD_INVALID_ARGUMENT', 'group');
    throwsCode(() => resolveConsumerOptions({ group: 'g', topics: [] }), 'HERALD_INVALID_ARGUMENT', 'topics');
    throwsCode(() => resolveConsumerOptions({ group: 'g', topics: ['a b'] }), 'HERALD_INVALID_ARGUMENT', 'topics');
    throwsCode(
      () => resolveConsumerOptions({ group: 'g', topics: ['a'], startAt: bad('middle') }),
      'HERALD_INVALID_ARGUMENT',
      'startAt',
    );
    throwsCode(
      () => resolveConsumerOptions({ group: 'g', topics: ['a'], maxBatchSize: 0 }),
      'HERALD_INVALID_ARGUMENT',
      'maxBatchSize',
    );
    throwsCode(
      () => resolveConsumerOptions({ group: 'g', topics: ['a'], sessionTimeoutMs: 1.5 }),
      'HERALD_INVALID_ARGUMENT',
      'sessionTimeoutMs',
    );
  });
});

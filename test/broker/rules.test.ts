import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingRecord } from '../../src/broker/port.ts';
import {
  checkCoPartitioned,
  checkEndOffsetsOptions,
  checkOutgoing,
  checkPosition,
  checkReadLimit,
  checkTopicSpec,
  isTopicName,
  MAX_PARTITIONS,
  MAX_TIMESTAMP,
  resolveConsumerOptions,
  resolveTailReaderOptions,
} from '../../src/broker/rules.ts';
import { HeraldError } from '../../src/errors.ts';

const invalidArgument = (field?: string) => (err: unknown) =>
  err instanceof HeraldError &&
  err.code === 'HERALD_INVALID_ARGUMENT' &&
  (field === undefined || (err.details as { field?: string }).field === field);

describe('port rules: outgoing records', () => {
  const ok: OutgoingRecord = { topic: 't', value: Buffer.from('v') };

  it('accepts Buffers, Uint8Arrays, null values, string headers and whole-millisecond timestamps', () => {
    checkOutgoing([
      ok,
      { topic: 't', key: new Uint8Array([1]), value: null, headers: { a: '' }, partition: 0, timestamp: 0 },
      { topic: 't', value: null, timestamp: MAX_TIMESTAMP },
    ]);
  });

  it('rejects the whole call naming the first bad record and its field', () => {
    const bad = (r: Record<string, unknown>) => r as unknown as OutgoingRecord;
    for (const [record, field] of [
      [bad({ topic: 't' }), 'value'],
      [bad({ topic: 't', value: 'v' }), 'value'],
      [bad({ topic: 't', value: Buffer.from('v'), key: 1 }), 'key'],
      [bad({ topic: 't', value: Buffer.from('v'), headers: { a: 1 } }), 'headers.a'],
      [bad({ topic: 't', value: Buffer.from('v'), headers: ['a'] }), 'headers'],
      [bad({ topic: 't', value: Buffer.from('v'), partition: -1 }), 'partition'],
      [bad({ topic: 't', value: Buffer.from('v'), partition: 0.5 }), 'partition'],
      [bad({ topic: 't', value: Buffer.from('v'), timestamp: 1.5 }), 'timestamp'],
      [bad({ topic: 't', value: Buffer.from('v'), timestamp: -1 }), 'timestamp'],
      [bad({ topic: 't', value: Buffer.from('v'), timestamp: MAX_TIMESTAMP + 1 }), 'timestamp'],
      [bad({ topic: 't', value: Buffer.from('v'), timestamp: Number.MAX_VALUE }), 'timestamp'],
      [bad({ topic: 't', value: Buffer.from('v'), timestamp: Number.POSITIVE_INFINITY }), 'timestamp'],
      [bad({ topic: 'a b', value: Buffer.from('v') }), 'topic'],
      [null as unknown as OutgoingRecord, 'record'],
    ] as const) {
      assert.throws(
        () => checkOutgoing([ok, record]),
        (err: unknown) => invalidArgument(field)(err) && /record 1/.test((err as Error).message),
        JSON.stringify(record),
      );
    }
    assert.throws(() => checkOutgoing('nope'), invalidArgument('records'));
  });
});

describe('port rules: topic specs', () => {
  it('accepts specs up to the partition cap', () => {
    checkTopicSpec({ name: 'a', partitions: MAX_PARTITIONS, compacted: true, configs: { 'x.y': '1' } });
  });

  it('rejects names, counts and options no broker may take', () => {
    for (const [spec, field] of [
      [{ name: 'a b', partitions: 1 }, 'name'],
      [{ name: '..', partitions: 1 }, 'name'],
      [{ name: 'a', partitions: 0 }, 'partitions'],
      [{ name: 'a', partitions: 1.5 }, 'partitions'],
      [{ name: 'a', partitions: MAX_PARTITIONS + 1 }, 'partitions'],
      [{ name: 'a', partitions: 1, compacted: 'yes' }, 'compacted'],
      [{ name: 'a', partitions: 1, replicationFactor: 0 }, 'replicationFactor'],
      [{ name: 'a', partitions: 1, retentionMs: -1 }, 'retentionMs'],
      [{ name: 'a', partitions: 1, retentionBytes: 1.5 }, 'retentionBytes'],
      [{ name: 'a', partitions: 1, configs: { a: 1 } }, 'configs.a'],
      [{ name: 'a', partitions: 1, configs: [] }, 'configs'],
    ] as const) {
      assert.throws(() => checkTopicSpec(spec), invalidArgument(field), JSON.stringify(spec));
    }
  });
});

describe('port rules: positions, limits, names, consumer options', () => {
  it('checks positions and read limits', () => {
    checkPosition({ topic: 't', partition: 0, offset: 0 }, 'read');
    for (const position of [
      { topic: 'a b', partition: 0, offset: 0 },
      { topic: 't', partition: -1, offset: 0 },
      { topic: 't', partition: 0, offset: 1.5 },
      null,
    ]) {
      assert.throws(() => checkPosition(position, 'read'), invalidArgument(), JSON.stringify(position));
    }
    checkReadLimit(1);
    for (const limit of [0, -1, 1.5, '1']) assert.throws(() => checkReadLimit(limit), invalidArgument('limit'));
  });

  it("uses Kafka's topic-name rule", () => {
    assert.ok(isTopicName('a.B_c-1'));
    for (const name of ['', '.', '..', 'x'.repeat(250), 'a/b', 3]) assert.ok(!isTopicName(name), String(name));
  });

  it('applies the consumer defaults and names a bad field', () => {
    assert.deepEqual(resolveConsumerOptions({ group: 'g', topics: ['a', 'a'] }), {
      group: 'g',
      topics: ['a'],
      startAt: 'earliest',
      maxBatchSize: 500,
      sessionTimeoutMs: 10_000,
      clientId: undefined,
      assignment: 'spread',
      isolation: 'read_committed',
      transactionalId: undefined,
      transactionTimeoutMs: 10_000,
      transactionIntervalMs: undefined,
    });
    assert.throws(() => resolveConsumerOptions({ group: 'g', topics: ['a'], maxBatchSize: 0 }), invalidArgument('maxBatchSize'));
  });

  it('checks assignment, isolation and the transactional options', () => {
    const base = { group: 'g', topics: ['a'] };
    const resolved = resolveConsumerOptions({
      ...base,
      assignment: 'co-partitioned',
      isolation: 'read_uncommitted',
      transactionalId: 'g-instance-1',
      transactionTimeoutMs: 5_000,
      transactionIntervalMs: 0,
    });
    assert.equal(resolved.assignment, 'co-partitioned');
    assert.equal(resolved.isolation, 'read_uncommitted');
    assert.equal(resolved.transactionalId, 'g-instance-1');
    assert.equal(resolved.transactionTimeoutMs, 5_000);
    assert.equal(resolved.transactionIntervalMs, 0);
    assert.equal(resolveConsumerOptions({ ...base, transactionIntervalMs: 60_000 }).transactionIntervalMs, 60_000);
    const bad: [string, Record<string, unknown>][] = [
      ['assignment', { assignment: 'sticky' }],
      ['isolation', { isolation: 'serializable' }],
      ['transactionalId', { transactionalId: 'has space' }],
      ['transactionalId', { transactionalId: 'x'.repeat(201) }],
      ['transactionalId', { transactionalId: '' }],
      ['transactionTimeoutMs', { transactionTimeoutMs: 0 }],
      ['transactionIntervalMs', { transactionIntervalMs: -1 }],
      ['transactionIntervalMs', { transactionIntervalMs: 60_001 }],
      ['transactionIntervalMs', { transactionIntervalMs: 2.5 }],
    ];
    for (const [field, extra] of bad) {
      assert.throws(() => resolveConsumerOptions({ ...base, ...extra } as never), invalidArgument(field), field);
    }
  });

  it('checks endOffsets options: read_committed by default', () => {
    assert.equal(checkEndOffsetsOptions(undefined), 'read_committed');
    assert.equal(checkEndOffsetsOptions({}), 'read_committed');
    assert.equal(checkEndOffsetsOptions({ isolation: 'read_uncommitted' }), 'read_uncommitted');
    assert.throws(() => checkEndOffsetsOptions({ isolation: 'dirty' } as never), invalidArgument('isolation'));
    assert.throws(() => checkEndOffsetsOptions('x' as never), invalidArgument('options'));
  });

  it('checks tail reader options and applies their defaults', () => {
    assert.deepEqual(resolveTailReaderOptions(undefined), { from: [], maxBatchSize: 500, clientId: undefined });
    const from = [{ topic: 't', partition: 1, offset: 4 }];
    assert.deepEqual(resolveTailReaderOptions({ from, maxBatchSize: 10, clientId: 'r' }), {
      from,
      maxBatchSize: 10,
      clientId: 'r',
    });
    assert.throws(() => resolveTailReaderOptions({ maxBatchSize: 0 }), invalidArgument('maxBatchSize'));
    assert.throws(() => resolveTailReaderOptions({ from: 'x' } as never), invalidArgument('from'));
    assert.throws(() => resolveTailReaderOptions({ from: [{ topic: 't', partition: 0, offset: -1 }] }), invalidArgument('offset'));
    assert.throws(() => resolveTailReaderOptions({ clientId: 'a b' }), invalidArgument('clientId'));
    assert.throws(() => resolveTailReaderOptions(3 as never), invalidArgument('options'));
  });
});

describe('port rules: co-partitioning', () => {
  it('refuses topics with different partition counts, naming each count', () => {
    checkCoPartitioned('g', new Map([['x', 3], ['y', 3]]));
    checkCoPartitioned('g', new Map([['x', 3]]));
    assert.throws(
      () => checkCoPartitioned('g', new Map([['x', 3], ['y', 4]])),
      (err: unknown) =>
        err instanceof HeraldError &&
        err.code === 'HERALD_COPARTITION_MISMATCH' &&
        !err.retriable &&
        JSON.stringify(err.details) === JSON.stringify({ group: 'g', partitions: { x: 3, y: 4 } }),
    );
  });
});

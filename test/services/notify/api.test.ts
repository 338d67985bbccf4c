import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { registerProduceRoute } from '../../../services/notify/api.ts';
import type { Admin, OutgoingRecord, Producer, RecordPosition, TopicInfo } from '../../../src/broker/port.ts';
import { HeraldError } from '../../../src/errors.ts';
import { createApp } from '../../../src/http/app.ts';
import { createMetrics } from '../../../src/metrics/registry.ts';

/** A producer that records what it is asked to send, or fails with `failure`. */
class RecordingProducer implements Producer {
  readonly sent: OutgoingRecord[] = [];
  failure: unknown;
  async send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    if (this.failure) throw this.failure;
    this.sent.push(...records);
    return records.map((r) => ({ topic: r.topic, partition: r.partition ?? 1, offset: this.sent.length - 1 }));
  }
  async close() {}
}

function setup(partitions = 3) {
  const producer = new RecordingProducer();
  let described = 0;
  const admin = {
    async describeTopic(name: string): Promise<TopicInfo> {
      described++;
      if (name === 'gone') throw new HeraldError('HERALD_TOPIC_NOT_FOUND');
      return {
        name,
        compacted: false,
        partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, earliest: 0, latest: 0 })),
      };
    },
  } as unknown as Admin;
  const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1 << 20 });
  registerProduceRoute(app, {
    topics: ['transactions', 'email', 'gone'],
    maxMessageBytes: 32,
    producer: () => producer,
    admin,
  });
  return { app, producer, described: () => described };
}

const valid = {
  request_id: 'r-1',
  topic_name: 'transactions',
  message_body: 'paid',
  transaction_id: 't-1',
  email: 'ana@example.com',
  phone: '+14155550123',
  customer_id: 'c-1',
};

async function post(app: ReturnType<typeof setup>['app'], payload: unknown) {
  const response = await app.inject({ method: 'POST', url: '/api/v1/produce', payload: payload as object });
  return { status: response.statusCode, body: response.json() };
}

test('a valid request is written once and answered 201 with its position', async () => {
  const { app, producer } = setup();
  const { status, body } = await post(app, { ...valid, key: 'cust-7' });
  assert.equal(status, 201);
  assert.deepEqual(body, { request_id: 'r-1', topic: 'transactions', partition: 1, offset: 0 });
  assert.equal(producer.sent.length, 1);
  const [record] = producer.sent;
  assert.equal(record.key?.toString(), 'cust-7');
  assert.equal(record.partition, undefined);
  assert.deepEqual(record.headers, { 'request-id': 'r-1', 'herald-event-id': 'r-1' });
  assert.deepEqual(JSON.parse(record.value!.toString()), {
    request_id: 'r-1',
    transaction_id: 't-1',
    message_body: 'paid',
    email: 'ana@example.com',
    phone: '+14155550123',
    customer_id: 'c-1',
  });
});

test('partition wins over key, and the key is still stored', async () => {
  const { app, producer } = setup();
  const { status, body } = await post(app, { ...valid, key: 'k', partition: 2 });
  assert.equal(status, 201);
  assert.equal(body.partition, 2);
  assert.equal(producer.sent[0].partition, 2);
  assert.equal(producer.sent[0].key?.toString(), 'k');
  const noKey = await post(app, valid);
  assert.equal(noKey.status, 201);
  assert.equal(producer.sent[1].key, null);
});

test('every field problem is reported at once and nothing is written', async () => {
  const { app, producer } = setup();
  const { status, body } = await post(app, {
    ...valid,
    email: 'not-an-email',
    phone: '0044 123',
    customer_id: 7,
    request_id: undefined,
    partiton: 1,
  });
  assert.equal(status, 400);
  assert.equal(body.error.code, 'HERALD_VALIDATION_FAILED');
  const byField = Object.fromEntries(
    (body.error.details as { field: string; message: string }[]).map((d) => [d.field, d.message]),
  );
  assert.equal(byField.email, 'must be an email address');
  assert.match(byField.phone, /E\.164/);
  assert.match(byField.customer_id, /string/);
  assert.match(byField.request_id, /required/);
  assert.ok('partiton' in byField);
  assert.equal(producer.sent.length, 0);
});

test('a request_id no header can carry (CR/LF, NUL, emoji, spaces at the ends) is refused with the field named', async () => {
  const { app, producer } = setup();
  for (const request_id of ['a\r\nX-Injected: 1', 'nul\u0000', 'party-\u{1F389}', ' padded', 'tab\there', 'é']) {
    const { status, body } = await post(app, { ...valid, request_id });
    assert.equal(status, 400, JSON.stringify(request_id));
    assert.equal(body.error.code, 'HERALD_VALIDATION_FAILED');
    assert.equal(body.error.details.length, 1);
    assert.equal(body.error.details[0].field, 'request_id');
    assert.match(body.error.details[0].message, /Idempotency-Key/);
  }
  assert.equal(producer.sent.length, 0);
  assert.equal((await post(app, { ...valid, request_id: 'order 7/2024-01#a' })).status, 201, 'inner spaces are fine');
});

test('topic, partition and body size are checked against the service and the broker', async () => {
  const { app, producer, described } = setup();
  const unknown = await post(app, { ...valid, topic_name: 'payments' });
  assert.equal(unknown.status, 400);
  assert.deepEqual(unknown.body.error.details[0].field, 'topic_name');
  assert.match(unknown.body.error.details[0].message, /allowed: transactions, email, gone/);

  const out = await post(app, { ...valid, partition: 3 });
  assert.equal(out.status, 400);
  assert.deepEqual(out.body.error.details, [
    { field: 'partition', message: 'must be below 3, the partitions of transactions' },
  ]);
  // In range: served from the cache, no new metadata request.
  const before = described();
  assert.equal((await post(app, { ...valid, partition: 0 })).status, 201);
  assert.equal(described(), before);

  const negative = await post(app, { ...valid, partition: -1 });
  assert.equal(negative.status, 400);
  const text = await post(app, { ...valid, partition: '1' });
  assert.equal(text.status, 400);

  const large = await post(app, { ...valid, message_body: 'x'.repeat(33) });
  assert.equal(large.status, 413);
  assert.equal(large.body.error.code, 'HERALD_PAYLOAD_TOO_LARGE');
  assert.deepEqual(large.body.error.details[0].field, 'message_body');
  // Multi-byte characters count as bytes: 11 × 3 bytes > 32.
  assert.equal((await post(app, { ...valid, message_body: '€'.repeat(11) })).status, 413);
  const largeAndBad = await post(app, { ...valid, message_body: 'x'.repeat(33), phone: 'x' });
  assert.equal(largeAndBad.status, 400);
  assert.equal(producer.sent.length, 1);
});

test('broker refusals become field errors; an unavailable broker is 503', async () => {
  const { app, producer } = setup();
  const gone = await post(app, { ...valid, topic_name: 'gone', partition: 0 });
  // The topic cannot be described, so the broker decides: it refuses.
  producer.failure = new HeraldError('HERALD_TOPIC_NOT_FOUND', 'topic "gone" does not exist');
  const missing = await post(app, { ...valid, topic_name: 'gone' });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body.error.details, [{ field: 'topic_name', message: 'does not exist' }]);
  assert.equal(gone.status, 201);

  producer.failure = new HeraldError('HERALD_PARTITION_OUT_OF_RANGE', 'partition 9 of transactions does not exist');
  const shrunk = await post(app, { ...valid, partition: 1 });
  assert.equal(shrunk.status, 400);
  assert.deepEqual(shrunk.body.error.details, [{ field: 'partition', message: 'is not a partition of the topic' }]);

  producer.failure = new HeraldError('HERALD_BROKER_UNAVAILABLE', 'no broker answers');
  const down = await post(app, valid);
  assert.equal(down.status, 503);
  assert.equal(down.body.error.code, 'HERALD_BROKER_UNAVAILABLE');
});

test('a body that is not a JSON object is refused', async () => {
  const { app, producer } = setup();
  assert.equal((await post(app, [1, 2])).status, 400);
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/produce',
    headers: { 'content-type': 'application/json' },
    payload: '{"request_id":',
  });
  assert.equal(response.statusCode, 400);
  assert.equal(producer.sent.length, 0);
});

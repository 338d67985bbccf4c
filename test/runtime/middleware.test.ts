import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { BrokerRecord, OutgoingRecord } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/json.ts';
import { HeraldError, isHeraldError } from '../../src/errors.ts';
import { currentCorrelationId, withCorrelationId } from '../../src/runtime/correlation.ts';
import { DLQ_HEADERS, parseDeadLetter } from '../../src/runtime/dlq/envelope.ts';
import { contextHeaders } from '../../src/runtime/emitter.ts';
import {
  compose,
  type Handler,
  type MessageScope,
  RecordMessage,
  type RuntimeContext,
} from '../../src/runtime/message.ts';
import { deadLetter } from '../../src/runtime/middleware/dlq.ts';
import { retry } from '../../src/runtime/middleware/retry.ts';
import { timeout } from '../../src/runtime/middleware/timeout.ts';

const logger = pino({ level: 'silent' });

function record(value: string | null, headers: Record<string, string> = {}): BrokerRecord {
  return {
    topic: 'orders',
    partition: 1,
    offset: 42,
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(value),
    headers,
    timestamp: 1_700_000_000_000,
  };
}

/** A message with a runtime whose producer records what is sent and whose sleeps are counted, not waited. */
function harness(value: string | null = '{"n":1}', headers: Record<string, string> = {}, log = logger) {
  const sent: OutgoingRecord[] = [];
  const ensured: string[] = [];
  const sleeps: number[] = [];
  const controller = new AbortController();
  const runtime = {
    broker: { admin: { ensureTopic: async (spec: { name: string }) => void ensured.push(spec.name) } },
    producer: { send: async (records: OutgoingRecord[]) => void sent.push(...records) },
    shared: async () => {
      throw new Error('not used');
    },
  } as unknown as RuntimeContext;
  const scope: MessageScope<unknown> = {
    group: 'email',
    runtime,
    signal: controller.signal,
    logger: log,
    codec: jsonCodec(),
    sleep: async (_message, ms) => {
      sleeps.push(ms);
    },
  };
  const message = new RecordMessage<unknown>(record(value, headers), scope);
  const attempt =
    (handler: Handler<unknown>): Handler<unknown> =>
    (m) =>
      m.handling.attempt(handler, m);
  return { message, sent, ensured, sleeps, controller, attempt };
}

describe('retry middleware', () => {
  it('retries retriable failures with growing delays, then rethrows the last error', async () => {
    const { message, sleeps, attempt } = harness();
    const run = compose(
      [retry({ maxAttempts: 4, initialDelayMs: 10, jitter: 0 })],
      attempt(async () => {
        throw new Error('down');
      }),
    );
    await assert.rejects(run(message), /down/);
    assert.equal(message.handling.attempts, 4);
    assert.deepEqual(sleeps, [10, 20, 40]);
  });

  it('warns about retries at most once a second per handler, counting the ones it did not log', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const lines: { msg: string; attempt: number; unloggedRetries?: number; error?: unknown; err?: unknown }[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const failing = retry({ maxAttempts: 3, initialDelayMs: 1, jitter: 0 });
    const attemptAll = async () => {
      const { message, attempt } = harness('{"n":1}', {}, log);
      const run = compose(
        [failing],
        attempt(async () => {
          throw new Error('down');
        }),
      );
      await assert.rejects(run(message), /down/);
    };
    await attemptAll();
    await attemptAll();
    assert.deepEqual(
      lines.map((l) => [l.msg, l.attempt, l.unloggedRetries]),
      [['handler failed; will retry', 1, undefined]],
      'four retries within a second: one line',
    );
    assert.deepEqual(lines[0].error, { message: 'down' }, 'the error in one line, without its stack');
    assert.equal(lines[0].err, undefined);
    t.mock.timers.tick(1_000);
    await attemptAll();
    assert.deepEqual(lines[1].unloggedRetries, 3);
    assert.equal(lines.length, 2);
  });

  it('does not retry errors that are not retriable', async () => {
    const { message, sleeps, attempt } = harness();
    const run = compose(
      [retry()],
      attempt(async () => {
        throw new HeraldError('HERALD_VALIDATION_FAILED');
      }),
    );
    await assert.rejects(run(message), (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'));
    assert.equal(message.handling.attempts, 1);
    assert.deepEqual(sleeps, []);
  });

  it('stops at the first success', async () => {
    const { message, attempt } = harness();
    let calls = 0;
    const run = compose(
      [retry({ initialDelayMs: 1 })],
      attempt(async () => {
        calls += 1;
        if (calls < 3) throw new Error('flaky');
      }),
    );
    await run(message);
    assert.equal(calls, 3);
  });
});

describe('dead-letter middleware', () => {
  it('declares <topic>.<group>.dlq with the router topology rather than creating it on first use', () => {
    const { message } = harness();
    const middleware = deadLetter({ partitions: 2 });
    assert.deepEqual(middleware.topics?.({ topic: 'orders', group: 'email', router: 'r', runtime: message.runtime }), [
      { name: 'orders.email.dlq', role: 'dead-letter', owner: 'router r, group email', spec: { partitions: 2 } },
    ]);
  });

  it('publishes the envelope to <topic>.<group>.dlq and settles the record', async () => {
    const { message, sent, ensured, attempt } = harness('{"n":1}', { 'herald.replay.count': '2', trace: 'x' });
    const run = compose(
      [deadLetter()],
      attempt(async () => {
        throw new HeraldError('HERALD_DESTINATION_FAILED', 'the destination said 500');
      }),
    );
    await run(message);
    assert.deepEqual(ensured, [], 'no topic is created while records are handled');
    assert.equal(sent.length, 1);
    assert.equal(message.handling.deadLettered, true);
    const out = sent[0];
    assert.equal(out.topic, 'orders.email.dlq');
    assert.equal(out.headers?.[DLQ_HEADERS.errorCode], 'HERALD_DESTINATION_FAILED');
    assert.equal(out.headers?.[DLQ_HEADERS.timestamp], new Date(1_700_000_000_000).toISOString());
    const letter = parseDeadLetter({ ...record('{"n":1}'), topic: out.topic, headers: out.headers!, offset: 0 });
    assert.ok(letter);
    assert.deepEqual(
      [letter.origin, letter.group, letter.attempts, letter.replayCount, letter.headers],
      [
        { topic: 'orders', partition: 1, offset: 42, timestamp: 1_700_000_000_000 },
        'email',
        1,
        2,
        { 'herald.replay.count': '2', trace: 'x' },
      ],
    );
  });

  it('tells onDeadLettered once the dead letter is durable; a failing hook leaves the record settled', async () => {
    for (const failing of [false, true]) {
      const { message, sent, attempt } = harness();
      const told: [number, string][] = [];
      const run = compose(
        [
          deadLetter({
            onDeadLettered: async (m, err) => {
              told.push([sent.length, (err as Error).message]);
              assert.equal(m, message);
              if (failing) throw new Error('status store down');
            },
          }),
        ],
        attempt(async () => {
          throw new HeraldError('HERALD_VALIDATION_FAILED', 'bad order');
        }),
      );
      await run(message);
      assert.deepEqual(told, [[1, 'bad order']], 'the hook ran after the dead letter was sent, with the error');
      assert.equal(message.handling.deadLettered, true);
    }
  });

  it('passes shutdown through without a verdict', async () => {
    const { message, sent, attempt } = harness();
    const run = compose(
      [deadLetter()],
      attempt(async () => {
        throw new HeraldError('HERALD_SHUTTING_DOWN');
      }),
    );
    await assert.rejects(run(message), (err) => isHeraldError(err, 'HERALD_SHUTTING_DOWN'));
    assert.equal(sent.length, 0);
    assert.equal(message.handling.deadLettered, false);
  });

  it('an undecodable record is dead-lettered at once', async () => {
    const { message, sent, attempt } = harness('{nope');
    const run = compose(
      [deadLetter(), retry()],
      attempt(async (m) => void m.value),
    );
    await run(message);
    assert.equal(sent[0].headers?.[DLQ_HEADERS.errorCode], 'HERALD_DECODE_FAILED');
    assert.equal(message.handling.attempts, 1);
  });

  it('a tombstone with a codec is a decode failure', () => {
    const { message } = harness(null);
    assert.throws(
      () => message.value,
      (err) => isHeraldError(err, 'HERALD_DECODE_FAILED'),
    );
  });
});

describe('timeout middleware', () => {
  it('fails a slow attempt with HERALD_TIMEOUT and aborts the signal the handler got', async () => {
    const { message } = harness();
    let seen: AbortSignal | undefined;
    const run = compose([timeout(20)], async (m) => {
      seen = m.signal;
      await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    });
    await assert.rejects(run(message), (err) => isHeraldError(err, 'HERALD_TIMEOUT'));
    assert.equal(seen?.aborted, true);
    assert.equal(message.signal.aborted, false, 'the record signal must stay intact');
  });

  it('lets a fast attempt through and leaves no timer to abort it later', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { message } = harness();
    let seen: AbortSignal | undefined;
    await compose([timeout(1_000)], async (m) => {
      seen = m.signal;
    })(message);
    assert.ok(seen, 'the handler ran');
    t.mock.timers.tick(5_000);
    assert.equal(seen.aborted, false, 'the timer was cleared when the attempt ended');
  });
});

describe('correlation and trace headers', () => {
  it('prefers herald.correlation-id, then x-request-id, else makes one up once', () => {
    assert.equal(harness('{}', { 'herald.correlation-id': 'a', 'x-request-id': 'b' }).message.correlationId, 'a');
    assert.equal(harness('{}', { 'x-request-id': 'b' }).message.correlationId, 'b');
    const { message } = harness('{}');
    assert.match(message.correlationId, /^[0-9a-f-]{36}$/);
    assert.equal(message.correlationId, message.correlationId);
  });

  it('emitted records carry the correlation id of the handler they are produced in', async () => {
    assert.deepEqual(contextHeaders({ a: '1' }), { a: '1' });
    await withCorrelationId('corr-1', async () => {
      await Promise.resolve();
      assert.equal(currentCorrelationId(), 'corr-1');
      assert.deepEqual(contextHeaders({}), { 'herald.correlation-id': 'corr-1' });
      assert.deepEqual(contextHeaders({ 'herald.correlation-id': 'given' }), { 'herald.correlation-id': 'given' });
    });
    assert.equal(currentCorrelationId(), undefined);
  });
});

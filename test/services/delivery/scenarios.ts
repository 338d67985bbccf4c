/**
 * The delivery guarantees as scenarios against real HTTP destinations on loopback, each run on every broker
 * (embedded.test.ts, kafka.test.ts). Timeouts are failure guards only.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { verify } from '../../../services/delivery/signature.ts';
import { request } from '../../support/boot.ts';
import {
  type BrokerFlags,
  bootDelivery,
  destination,
  eventStatus,
  firstReceipts,
  publish,
  publishSequences,
  receivedAll,
  recorder,
  waitFor,
} from './helpers.ts';

/** Every user's events reach every destination in the order accepted, through random 500s; signed; keyed. */
export async function orderedThroughRetries(t: TestContext, broker: BrokerFlags) {
  const secret = 'shh-test-secret';
  const flaky = await recorder(t, { failureRate: 0.3, maxLatencyMs: 5, secret });
  const steady = await recorder(t, { maxLatencyMs: 5 });
  const herald = await bootDelivery(t, {
    broker,
    destinations: [destination('flaky', flaky.url, { secret }), destination('steady', steady.url)],
  });
  const users = Array.from({ length: 8 }, (_, i) => `user-${i}`);
  const ids = await publishSequences(herald.url, users, 15);
  const all = [...ids.values()].flat();
  await waitFor('every event at both destinations', () => receivedAll(flaky, all) && receivedAll(steady, all), 60_000);
  for (const user of users) {
    assert.deepEqual(firstReceipts(flaky, user), ids.get(user), `order at flaky for ${user}`);
    assert.deepEqual(firstReceipts(steady, user), ids.get(user), `order at steady for ${user}`);
  }
  assert.ok(flaky.failures > 0, 'the flaky destination failed some attempts');
  assert.equal(flaky.badSignatures, 0);
  const sample = flaky.receipts[0];
  assert.ok(verify(secret, Buffer.from(JSON.stringify(sample.body)), String(sample.headers['herald-signature'])));
  assert.equal(sample.headers['idempotency-key'], sample.id);
  assert.deepEqual(Object.keys(sample.body as object).sort(), ['id', 'payload', 'receivedAt', 'userId']);
  assert.equal((sample.body as { id: string }).id, sample.id);
  const status = await eventStatus(herald.url, all[0]);
  assert.equal(status.destinations.steady.status, 'delivered');
  assert.equal(status.destinations.flaky.status, 'delivered');
}

/**
 * A 4xx dead-letters the event at once while the user's later events go on; the status says dead; replaying the
 * dead letters through the runtime delivers them, in their order.
 */
export async function permanentFailureThenReplay(t: TestContext, broker: BrokerFlags) {
  const dest = await recorder(t);
  let refuse = true;
  dest.answer = (r) => (refuse && (r.body as { payload?: { reject?: boolean } }).payload?.reject ? 400 : undefined);
  const herald = await bootDelivery(t, { broker, destinations: [destination('picky', dest.url)] });
  const payloads = [{ n: 0 }, { n: 1, reject: true }, { n: 2 }, { n: 3, reject: true }, { n: 4 }];
  const ids: string[] = [];
  for (const payload of payloads) ids.push(await publish(herald.url, 'user-1', payload));
  const [ok0, bad1, ok2, bad3, ok4] = ids;
  await waitFor('the accepted ones', () => receivedAll(dest, [ok0, ok2, ok4]));
  await waitFor('the refused ones dead', async () => {
    const statuses = await Promise.all([bad1, bad3].map((id) => eventStatus(herald.url, id)));
    return statuses.every((s) => s.destinations.picky.status === 'dead');
  });
  assert.deepEqual(firstReceipts(dest, 'user-1'), [ok0, ok2, ok4]);
  const dead = await eventStatus(herald.url, bad1);
  assert.equal(dead.destinations.picky.attempts, 1, 'a permanent failure is not retried');
  assert.match(dead.destinations.picky.lastError ?? '', /400/);
  assert.ok(dead.destinations.picky.deadAt);

  const listed = await request(`${herald.url}/destinations`);
  const dlq = listed.body[0].deadLetterTopics.send as string;
  const letters = await request(`${herald.url}/admin/dlq/${encodeURIComponent(dlq)}/messages`);
  assert.deepEqual(
    letters.body.deadLetters.map((l: { headers: Record<string, string> }) => l.headers['herald-event-id']),
    [bad1, bad3],
  );

  refuse = false;
  const replay = await request(`${herald.url}/admin/dlq/${encodeURIComponent(dlq)}/replay`, 'POST', {});
  assert.equal(replay.status, 200);
  assert.equal(replay.body.replayed, 2);
  await waitFor('the replayed ones', () => receivedAll(dest, [bad1, bad3]));
  assert.deepEqual(firstReceipts(dest, 'user-1'), [ok0, ok2, ok4, bad1, bad3], 'replayed in their order');
  await waitFor('status delivered after replay', async () => {
    const s = await eventStatus(herald.url, bad3);
    return s.destinations.picky.status === 'delivered';
  });
}

/**
 * Retriable failures are retried up to maxAttempts, then the event is dead; the user's next event waits until
 * then (every attempt of the first precedes the second's first attempt).
 */
export async function retriesThenDeadInOrder(t: TestContext, broker: BrokerFlags) {
  const dest = await recorder(t);
  dest.answer = (r) => ((r.body as { payload?: { n?: number } }).payload?.n === 0 ? 503 : undefined);
  const herald = await bootDelivery(t, { broker, destinations: [destination('down', dest.url, { maxAttempts: 4 })] });
  const first = await publish(herald.url, 'user-7', { n: 0 });
  const second = await publish(herald.url, 'user-7', { n: 1 });
  await waitFor('the second event', () => receivedAll(dest, [second]));
  const attempts = dest.log.filter((e) => e.id === first);
  assert.equal(attempts.length, 4, 'maxAttempts attempts in all');
  const secondFirstAttempt = dest.log.findIndex((e) => e.id === second);
  assert.ok(dest.log.findLastIndex((e) => e.id === first) < secondFirstAttempt, 'retries precede the next event');
  await waitFor('status dead', async () => (await eventStatus(herald.url, first)).destinations.down.status === 'dead');
  const status = await eventStatus(herald.url, first);
  assert.equal(status.destinations.down.attempts, 4);
  assert.match(status.destinations.down.lastError ?? '', /503/);
}

/** One user whose events keep failing does not hold back the other users of the destination (one partition). */
export async function failingUserIsolated(t: TestContext, broker: BrokerFlags) {
  const dest = await recorder(t);
  dest.answer = (r) => (r.userId === 'bad-user' ? 500 : undefined);
  const herald = await bootDelivery(t, {
    broker,
    destinations: [destination('shared', dest.url)],
    flags: { 'delivery.partitions': '1' },
  });
  const stuck = await publish(herald.url, 'bad-user', { seq: 0 });
  const ids = await publishSequences(herald.url, ['good-a', 'good-b', 'good-c'], 10);
  await waitFor('the good users', () => receivedAll(dest, [...ids.values()].flat()));
  const status = await eventStatus(herald.url, stuck);
  assert.equal(status.destinations.shared.status, 'pending');
  assert.ok(status.destinations.shared.attempts >= 1);
}

/**
 * A destination that is down (requests hang into timeouts) slows neither ingestion nor the other destination;
 * once it recovers it gets everything, in order.
 */
export async function destinationDownIsolated(t: TestContext, broker: BrokerFlags) {
  const down = await recorder(t);
  const up = await recorder(t);
  let outage = true;
  down.answer = () => (outage ? 'hang' : undefined);
  const herald = await bootDelivery(t, {
    broker,
    destinations: [
      destination('down', down.url, { timeoutMs: 200, backoff: { initialMs: 20, maxMs: 100 } }),
      destination('up', up.url),
    ],
  });
  const users = ['u-1', 'u-2', 'u-3', 'u-4'];
  const ids = await publishSequences(herald.url, users, 10);
  const all = [...ids.values()].flat();
  await waitFor('the healthy destination', () => receivedAll(up, all));
  assert.equal(down.receipts.length, 0);
  assert.ok(down.log.length > 0, 'the down destination was tried');
  outage = false;
  await waitFor('the recovered destination', () => receivedAll(down, all), 60_000);
  for (const user of users) assert.deepEqual(firstReceipts(down, user), ids.get(user));
}

/** Custom transforms plugged in code: shaping the body and headers, filtering, and failing for one destination. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeliveryService } from '../../../services/delivery/index.ts';
import { request } from '../../support/boot.ts';
import { bootDelivery, destination, eventStatus, publish, receivedAll, recorder, waitFor } from './helpers.ts';

describe('delivery transforms', { timeout: 60_000 }, () => {
  it('shapes, filters and isolates failures per destination', async (t) => {
    const shout = await recorder(t);
    const picky = await recorder(t);
    const broken = await recorder(t);
    const service = createDeliveryService({
      transforms: {
        shout: (event) => ({
          body: { text: String((event.payload as { msg: string }).msg).toUpperCase(), user: event.userId },
          headers: { 'X-Kind': 'shout' },
        }),
        picky: (event) =>
          (event.payload as { skip?: boolean }).skip ? null : { body: `plain ${event.id}`, contentType: 'text/plain' },
        broken: () => {
          throw new Error('boom');
        },
        unsendable: () => ({ body: 'x', headers: { 'X-Token': 'a\r\nX-Injected: 1' } }),
      },
    });
    const unsendable = await recorder(t);
    const herald = await bootDelivery(t, {
      service,
      destinations: [
        destination('shout', shout.url, { transform: 'shout' }),
        destination('picky', picky.url, { transform: 'picky' }),
        destination('broken', broken.url, { transform: 'broken' }),
        destination('unsendable', unsendable.url, { transform: 'unsendable' }),
      ],
    });
    const kept = await publish(herald.url, 'u1', { msg: 'hello' });
    const skipped = await publish(herald.url, 'u1', { msg: 'again', skip: true });
    await waitFor('shaped events', () => receivedAll(shout, [kept, skipped]) && receivedAll(picky, [kept]));
    const first = shout.receipts.find((r) => r.id === kept)!;
    assert.deepEqual(first.body, { text: 'HELLO', user: 'u1' });
    assert.equal(first.headers['x-kind'], 'shout');
    const plain = picky.receipts.find((r) => r.id === kept)!;
    assert.equal(plain.body, `plain ${kept}`);
    assert.match(String(plain.headers['content-type']), /^text\/plain/);

    await waitFor('statuses settled', async () => {
      const s = await eventStatus(herald.url, skipped);
      return (
        s.destinations.broken.status === 'dead' &&
        s.destinations.picky.status === 'delivered' &&
        s.destinations.unsendable.status === 'dead'
      );
    });
    const s = await eventStatus(herald.url, skipped);
    // Headers no request can carry: dead-lettered by the transformer at once, never attempted by the sender.
    assert.match(s.destinations.unsendable.lastError ?? '', /headers no HTTP request can carry: "X-Token"/);
    assert.equal(s.destinations.unsendable.attempts, 0);
    assert.equal(unsendable.requests, 0);
    assert.equal(s.destinations.picky.attempts, 0, 'filtered: nothing sent');
    assert.match(s.destinations.broken.lastError ?? '', /transform.*boom/);
    assert.equal(broken.requests, 0);
    assert.ok(!picky.receipts.some((r) => r.id === skipped));

    const [info] = (await request(`${herald.url}/destinations`)).body.filter((d: { id: string }) => d.id === 'broken');
    const letters = await request(
      `${herald.url}/admin/dlq/${encodeURIComponent(info.deadLetterTopics.transform)}/messages`,
    );
    assert.equal(letters.body.deadLetters.length, 2);
  });

  it('dead-letters a record that is not an event without holding back the ones after it', async (t) => {
    const dest = await recorder(t);
    const herald = await bootDelivery(t, { destinations: [destination('plain', dest.url)] });
    const producer = herald.broker.producer();
    t.after(() => producer.close());
    await producer.send([{ topic: `${herald.prefix}.events`, key: Buffer.from('u1'), value: Buffer.from('junk') }]);
    const id = await publish(herald.url, 'u1', { after: 'junk' });
    await waitFor('the real event', () => receivedAll(dest, [id]));
    const [info] = (await request(`${herald.url}/destinations`)).body;
    await waitFor('the junk dead-lettered', async () => {
      const letters = await request(
        `${herald.url}/admin/dlq/${encodeURIComponent(info.deadLetterTopics.transform)}/messages`,
      );
      return letters.status === 200 && letters.body.deadLetters.length === 1;
    });
  });

  it('delivers a transform dead letter once replayed after the fix, without duplicating elsewhere', async (t) => {
    const fixed = await recorder(t);
    const other = await recorder(t);
    let broken = true;
    const service = createDeliveryService({
      transforms: {
        fragile: (event) => {
          if (broken) throw new Error('not yet');
          return { body: event };
        },
      },
    });
    const herald = await bootDelivery(t, {
      service,
      destinations: [destination('fixed', fixed.url, { transform: 'fragile' }), destination('other', other.url)],
    });
    const id = await publish(herald.url, 'u1', { n: 1 });
    await waitFor('dead at fixed, delivered at other', async () => {
      const s = await eventStatus(herald.url, id);
      return s.destinations.fixed.status === 'dead' && s.destinations.other.status === 'delivered';
    });
    broken = false;
    const [info] = (await request(`${herald.url}/destinations`)).body;
    const dlq = encodeURIComponent(info.deadLetterTopics.transform);
    const replay = await request(`${herald.url}/admin/dlq/${dlq}/replay`, 'POST', {});
    assert.equal(replay.body.replayed, 1);
    await waitFor('delivered after the replay', () => receivedAll(fixed, [id]));
    await waitFor(
      'status delivered',
      async () => (await eventStatus(herald.url, id)).destinations.fixed.status === 'delivered',
    );
    // The replay went through the source topic, so the other destination's transformer saw it again: its sender
    // knew the event was delivered there and skipped it.
    await waitFor('the other sender skipped it', async () => {
      const metrics = await (await fetch(`${herald.url}/metrics`)).text();
      return /herald_handler_skipped_total\{topic="[^"]+\.other",group="[^"]+"\} 1/.test(metrics);
    });
    assert.equal(other.receipts.filter((r) => r.id === id).length, 1);
  });
});

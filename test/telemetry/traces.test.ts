/**
 * Traces end to end, exported over OTLP/HTTP to a real receiver and kept for `GET /admin/traces`, on both brokers:
 * one `POST /publish` is one trace from the client's span to every destination attempt; notify's email and SMS
 * likewise; sampling off exports nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { notifyService } from '../../services/notify/index.ts';
import { request } from '../support/boot.ts';
import { kafkaSingle } from '../support/kafka.ts';
import { KIND, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';
import { bootDelivery, destination } from '../services/delivery/helpers.ts';
import { eventually, notification, peerFlags, produce } from '../services/notify/helpers.ts';
import { startPeers } from '../services/notify/peers.ts';
import { bootHerald } from '../support/boot.ts';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

interface Received {
  id: string;
  traceparent: string;
  status: number;
}

/** A destination recording each request's event id and traceparent; `failFirst` answers 500 to an event's first try. */
async function destinationServer(t: TestContext, failFirst: boolean) {
  const seen: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['idempotency-key']);
      const status = failFirst && !seen.some((r) => r.id === id) ? 500 : 200;
      seen.push({ id, traceparent: String(req.headers.traceparent ?? ''), status });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

const children = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);
const only = (spans: ReceivedSpan[], what: string) => {
  assert.equal(spans.length, 1, `${what}: ${spans.length} spans`);
  return spans[0];
};

async function brokerFlags(t: TestContext, kind: string): Promise<Record<string, string> | undefined> {
  if (kind === 'embedded') return {};
  const servers = await kafkaSingle(t);
  return servers === undefined ? undefined : { 'broker.url': `kafka://${servers.join(',')}` };
}

for (const kind of ['embedded', 'kafka']) {
  describe(`traces on the ${kind} broker`, () => {
    it('one POST /publish is one trace: request, produce, transform, send and every destination attempt', async (t) => {
      const broker = await brokerFlags(t, kind);
      if (broker === undefined) return;
      const receiver = await startOtlpReceiver(t);
      const steady = await destinationServer(t, false);
      const flaky = await destinationServer(t, true);
      const herald = await bootDelivery(t, {
        destinations: [destination('steady', steady.url), destination('flaky', flaky.url)],
        broker,
        flags: { 'telemetry.traces.endpoint': receiver.url, 'telemetry.traces.recent': '100' },
      });
      const response = await fetch(`${herald.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
        body: JSON.stringify({ userId: 'u1', payload: { n: 1 } }),
      });
      assert.equal(response.status, 202);
      const { id } = (await response.json()) as { id: string };
      await eventually(async () => steady.seen.some((r) => r.status === 200) && flaky.seen.some((r) => r.status === 200));

      // Every span of the event: 1 request, 1 + 2 produces, 4 processes, 3 attempts.
      const trace = () => receiver.spans.filter((s) => s.traceId === CLIENT_TRACE);
      await eventually(async () => trace().length >= 11);
      await sleep(1_500); // nothing more may come
      const spans = trace();
      assert.equal(spans.length, 11, spans.map((s) => s.name).join(', '));
      assert.ok(spans.every((s) => s.service === 'herald'));

      const server = only(spans.filter((s) => s.kind === KIND.server), 'server spans');
      assert.equal(server.name, 'POST /publish');
      assert.equal(server.parentSpanId, CLIENT_SPAN, "the client's traceparent is the root");
      assert.equal(server.attributes['http.response.status_code'], 202);

      const ingest = only(children(spans, server), 'produce under the request');
      assert.equal(ingest.kind, KIND.producer);
      assert.equal(ingest.name, `send ${herald.prefix}.events`);
      assert.equal(ingest.attributes['messaging.message.id'], id);
      assert.equal(ingest.attributes['messaging.kafka.message.key'], 'u1');

      const transforms = children(spans, ingest);
      assert.equal(transforms.length, 2, 'a transformer per destination');
      for (const [destinationId, received] of [
        ['steady', steady],
        ['flaky', flaky],
      ] as const) {
        const transform = only(
          transforms.filter((s) => s.attributes['messaging.consumer.group.name'] === `${herald.prefix}.transform.${destinationId}`),
          `transform of ${destinationId}`,
        );
        assert.equal(transform.kind, KIND.consumer);
        assert.equal(transform.name, `process ${herald.prefix}.events`);
        assert.equal(transform.attributes['messaging.message.id'], id);
        const produced = only(children(spans, transform), `produce of ${destinationId}'s transformer`);
        assert.equal(produced.name, `send ${herald.prefix}.${destinationId}`);
        const sender = only(children(spans, produced), `sender of ${destinationId}`);
        assert.equal(sender.kind, KIND.consumer);
        const attempts = children(spans, sender);
        assert.ok(attempts.every((a) => a.kind === KIND.client && a.name === 'POST'));
        assert.deepEqual(
          attempts.map((a) => a.attributes['http.response.status_code']),
          received.seen.map((r) => r.status),
        );
        assert.deepEqual(
          received.seen.map((r) => r.traceparent),
          attempts.map((a) => `00-${CLIENT_TRACE}-${a.spanId}-01`),
          'each attempt carries its own span as the parent',
        );
        const retries = sender.events.filter((e) => e.name === 'retry');
        assert.equal(retries.length, destinationId === 'flaky' ? 1 : 0);
        if (destinationId === 'flaky') {
          assert.equal(retries[0].attributes['herald.attempt'], 1);
          assert.equal(attempts[0].status, 2, 'the failed attempt is an error');
        }
      }

      // The same trace, kept in memory, found by the event id and by its trace id.
      const byEvent = await request(`${herald.url}/admin/traces?event_id=${id}`);
      assert.equal(byEvent.status, 200);
      assert.deepEqual(
        byEvent.body.traces.map((trace: { traceId: string }) => trace.traceId),
        [CLIENT_TRACE],
      );
      const byId = await request(`${herald.url}/admin/traces?trace_id=${CLIENT_TRACE}`);
      assert.equal(byId.status, 200);
      assert.equal(byId.body.spans.length, 11);
      assert.equal(byId.body.spans[0].name, 'POST /publish');
      const list = await request(`${herald.url}/admin/traces`);
      assert.ok(list.body.traces.some((trace: { traceId: string }) => trace.traceId === CLIENT_TRACE));
    });

    it("notify: the request, the produce, each channel's handling and its email or SMS are one trace", async (t) => {
      const broker = await brokerFlags(t, kind);
      if (broker === undefined) return;
      const receiver = await startOtlpReceiver(t);
      const { smtp, sms } = await startPeers(t);
      const topic = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      const herald = await bootHerald(
        t,
        {
          ...peerFlags(smtp, sms),
          ...broker,
          'notify.subscriptions': JSON.stringify({ email: [topic], sms: [topic] }),
          'notify.groupPrefix': `${topic}-notify`,
          'telemetry.traces.endpoint': receiver.url,
        },
        [notifyService],
      );
      const body = notification(topic);
      const produced = await produce(herald.url, body);
      assert.equal(produced.status, 201);
      await smtp.waitFor([body.request_id]);
      await sms.waitFor([body.request_id]);

      const server = await eventually(async () => receiver.spans.find((s) => s.name === 'POST /api/v1/produce'));
      const trace = () => receiver.spans.filter((s) => s.traceId === server.traceId);
      // The request, its produce, per channel: the handling, the email or SMS, the dedupe store's record.
      await eventually(async () => trace().length >= 8);
      await sleep(1_500);
      const spans = trace();
      assert.equal(spans.length, 8, spans.map((s) => s.name).join(', '));
      const send = only(children(spans, server), 'produce under the request');
      assert.equal(send.name, `send ${topic}`);
      assert.equal(send.attributes['messaging.message.id'], body.request_id);
      const handlers = children(spans, send);
      assert.equal(handlers.length, 2);
      const outbound = handlers.map((handler) =>
        only(
          children(spans, handler).filter((s) => s.kind === KIND.client),
          `the ${handler.attributes['messaging.consumer.group.name']} send`,
        ),
      );
      for (const handler of handlers) {
        const group = String(handler.attributes['messaging.consumer.group.name']);
        const bookkeeping = only(
          children(spans, handler).filter((s) => s.kind === KIND.producer),
          `the ${group} dedupe record`,
        );
        assert.equal(bookkeeping.name, `send __herald.dedupe.${group}`);
      }
      assert.deepEqual(outbound.map((s) => s.kind), [KIND.client, KIND.client]);
      assert.deepEqual(outbound.map((s) => s.attributes['herald.channel']).sort(), ['email', 'sms']);
      const smsSpan = outbound.find((s) => s.attributes['herald.channel'] === 'sms')!;
      assert.equal(smsSpan.attributes['http.response.status_code'], 200);
      assert.deepEqual(sms.traceparents, [`00-${server.traceId}-${smsSpan.spanId}-01`]);
    });

    it('sampling off: nothing is recorded or exported, and records still carry a caller’s trace', async (t) => {
      const broker = await brokerFlags(t, kind);
      if (broker === undefined) return;
      const receiver = await startOtlpReceiver(t);
      const steady = await destinationServer(t, false);
      const herald = await bootDelivery(t, {
        destinations: [destination('steady', steady.url)],
        broker,
        flags: { 'telemetry.traces.endpoint': receiver.url, 'telemetry.traces.sampleRatio': '0', 'telemetry.traces.recent': '10' },
      });
      const { status } = await request(`${herald.url}/publish`, 'POST', { userId: 'u1', payload: {} });
      assert.equal(status, 202);
      const unsampled = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`;
      const traced = await request(`${herald.url}/publish`, 'POST', { userId: 'u2', payload: {} }, { traceparent: unsampled });
      assert.equal(traced.status, 202);
      await eventually(async () => steady.seen.length === 2);
      const carried = steady.seen.find((r) => r.id === traced.body.id)!.traceparent;
      assert.match(carried, new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-00$`), "the caller's trace goes on, unsampled");
      assert.equal((await request(`${herald.url}/admin/traces`)).body.traces.length, 0);
      await herald.stop(); // flushes whatever was batched
      assert.equal(receiver.spans.length, 0);
      assert.equal(receiver.requests, 0);
    });
  });
}

it('tracing off: a caller’s traceparent still reaches the records, and /admin/traces says how to keep traces', async (t) => {
  const steady = await destinationServer(t, false);
  const herald = await bootDelivery(t, { destinations: [destination('steady', steady.url)] });
  const traceparent = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
  const published = await request(`${herald.url}/publish`, 'POST', { userId: 'u1', payload: {} }, { traceparent });
  assert.equal(published.status, 202);
  const partitions = [0, 1, 2, 3].map((partition) =>
    herald.broker.admin.read({ topic: `${herald.prefix}.events`, partition, offset: 0 }, 10),
  );
  const [stored] = (await Promise.all(partitions)).flat();
  assert.equal(stored.headers.traceparent, traceparent);
  await eventually(async () => steady.seen.length === 1);
  assert.equal(steady.seen[0].traceparent, traceparent);
  const traces = await request(`${herald.url}/admin/traces`);
  assert.equal(traces.status, 404);
  assert.match(traces.body.error.message, /telemetry\.traces\.recent/);
});

it('at most telemetry.traces.perSecond new traces a second are recorded; the others go on unsampled and leave no span', async (t) => {
  const steady = await destinationServer(t, false);
  const herald = await bootDelivery(t, {
    destinations: [destination('steady', steady.url)],
    flags: { 'telemetry.traces.recent': '100', 'telemetry.traces.perSecond': '1' },
  });
  await sleep(1_100); // a full second's allowance: one trace
  const published = await Promise.all(
    Array.from({ length: 6 }, (_, n) => request(`${herald.url}/publish`, 'POST', { userId: `u${n}`, payload: { n } })),
  );
  assert.deepEqual(published.map((p) => p.status), [202, 202, 202, 202, 202, 202]);
  await eventually(async () => steady.seen.length === 6);
  const traceOf = (traceparent: string) => traceparent.split('-')[1];
  const recorded = steady.seen.filter((r) => r.traceparent.endsWith('-01'));
  const unrecorded = steady.seen.filter((r) => r.traceparent.endsWith('-00'));
  assert.equal(recorded.length + unrecorded.length, 6, 'every destination call carries a W3C traceparent');
  assert.ok(recorded.length >= 1 && recorded.length <= 2, `${recorded.length} recorded`);
  assert.equal(new Set(unrecorded.map((r) => traceOf(r.traceparent))).size, unrecorded.length, 'each request its own trace');
  // A recorded trace is whole: the request, its produce, the event's handling and the destination call.
  await eventually(async () => (await request(`${herald.url}/admin/traces?trace_id=${traceOf(recorded[0].traceparent)}`)).status === 200);
  const whole = (await request(`${herald.url}/admin/traces?trace_id=${traceOf(recorded[0].traceparent)}`)).body;
  const kinds = new Set(whole.spans.map((s: { kind: string }) => s.kind));
  for (const kind of ['SERVER', 'PRODUCER', 'CONSUMER', 'CLIENT']) assert.ok(kinds.has(kind), `a ${kind} span`);
  // Nothing of the others was recorded anywhere along the way.
  for (const r of unrecorded) {
    assert.equal((await request(`${herald.url}/admin/traces?trace_id=${traceOf(r.traceparent)}`)).status, 404);
  }
  const kept = (await request(`${herald.url}/admin/traces?limit=100`)).body.traces as { traceId: string }[];
  assert.deepEqual(kept.map((k) => k.traceId).sort(), recorded.map((r) => traceOf(r.traceparent)).sort());
});

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { BrokerAdminApi } from '../../../../src/admin/broker-admin.ts';
import type { DeadLetterView } from '../../../../src/admin/dead-letter-view.ts';
import { replayDeadLetters } from '../../../../src/admin/dead-letters.ts';
import { HeraldError } from '../../../../src/errors.ts';
import { registerAdminRoutes } from '../../../../src/http/admin/routes.ts';
import { createApp } from '../../../../src/http/app.ts';
import { createMetrics } from '../../../../src/metrics/registry.ts';
import { HEADERS } from '../../../../src/runtime/headers.ts';
import { deadLetterTopicName } from '../../../../src/runtime/names.ts';
import { cli } from '../../../support/cli.ts';
import { type Harness, type RuntimeTest, testLogger } from '../harness.ts';

async function adminServer(h: Harness): Promise<string> {
  const app = createApp({ logger: testLogger, metrics: createMetrics(), bodyLimitBytes: 1_000_000 });
  const admin = new BrokerAdminApi(h.broker);
  registerAdminRoutes(app, { admin, host: '127.0.0.1', token: '' });
  h.defer(() => admin.close());
  h.defer(() => app.close());
  return app.listen({ host: '127.0.0.1', port: 0 });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions.
type Json = any;

async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${url}/admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

export function replayTests(test: RuntimeTest): void {
  describe('dead-letter replay', () => {
    test('lists dead letters and replays them (dry run, by time, by key, loop guard) through the API and the CLI', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      const dlq = deadLetterTopicName(topic, group);
      const handled: { value: string; count?: string; from?: string }[] = [];
      let broken = true;
      const router = h.router();
      router.handle(topic, group, async (m) => {
        if (broken) throw new HeraldError('HERALD_DESTINATION_FAILED', 'destination down', { retriable: false });
        handled.push({
          value: m.record.value!.toString(),
          count: m.headers[HEADERS.replayCount],
          from: m.headers[HEADERS.replayedFrom],
        });
      });
      await router.start();
      const originals = ['a1', 'a2', 'b1', 'b2', 'c1'];
      await h.send(originals.map((v) => ({ topic, key: Buffer.from(v[0]), value: Buffer.from(v) })));
      const dlqSize = async () =>
        (await h.broker.admin.describeTopic(dlq).catch(() => undefined))?.partitions.reduce((n, p) => n + p.latest, 0);
      await h.waitFor(
        async () => (await dlqSize()) === 5,
        () => `5 dead letters in ${dlq}`,
      );

      const url = await adminServer(h);
      const topics = await call(url, 'GET', '/dlq');
      assert.deepEqual(
        topics.body.filter((t: { topic: string }) => t.topic === dlq),
        [{ topic: dlq, records: 5 }],
      );
      const listed = await call(url, 'GET', `/dlq/${dlq}/messages?key=a`);
      assert.equal(listed.status, 200);
      const views = listed.body.deadLetters as DeadLetterView[];
      assert.deepEqual(
        views.map((v) => [v.key, v.value, v.origin.topic, v.error.code, v.attempts, v.replayCount]),
        [
          ['a', 'a1', topic, 'HERALD_DESTINATION_FAILED', 1, 0],
          ['a', 'a2', topic, 'HERALD_DESTINATION_FAILED', 1, 0],
        ],
      );

      broken = false;
      const latestBefore = (await h.readAll(topic)).length;
      const dry = await call(url, 'POST', `/dlq/${dlq}/replay`, { dryRun: true });
      assert.equal(dry.status, 200);
      assert.deepEqual([dry.body.matched, dry.body.replayed, dry.body.records.length], [5, 0, 5]);
      const future = await call(url, 'POST', `/dlq/${dlq}/replay`, {
        since: new Date(Date.now() + 60_000).toISOString(),
      });
      assert.equal(future.body.matched, 0);
      assert.equal((await h.readAll(topic)).length, latestBefore, 'a dry run wrote records');

      const byKey = await call(url, 'POST', `/dlq/${dlq}/replay`, { key: 'a', ratePerSecond: 50 });
      assert.deepEqual([byKey.body.matched, byKey.body.replayed], [2, 2]);
      await h.waitFor(
        () => handled.length === 2,
        () => `a1 and a2 replayed; handled ${JSON.stringify(handled)}`,
      );
      assert.deepEqual(
        handled.map((x) => [x.value, x.count]),
        [
          ['a1', '1'],
          ['a2', '1'],
        ],
      );
      assert.match(handled[0].from!, new RegExp(`^${dlq}/0/\\d+$`));

      const viaCli = await cli(['dlq', 'replay', dlq, '--key', 'b', '--server', url]);
      assert.equal(viaCli.code, 0, viaCli.stderr);
      assert.equal(viaCli.lines[0].replayed, 2);
      // Straight to the cluster on Kafka (no server needed), through the server's admin API otherwise.
      const target =
        h.spec.kind === 'kafka' ? ['--broker', `kafka://${h.spec.bootstrap.join(',')}`] : ['--server', url];
      const cliList = await cli(['dlq', 'list', dlq, '--key', 'c', ...target]);
      assert.equal(cliList.code, 0, cliList.stderr);
      assert.deepEqual(
        cliList.lines.map((l: DeadLetterView) => l.value),
        ['c1'],
      );
      await h.waitFor(
        () => handled.length === 4,
        () => `b1 and b2 replayed; handled ${JSON.stringify(handled)}`,
      );

      // A record that fails again after its replay comes back with its replay count: the loop guard skips it.
      broken = true;
      const producer = h.producer();
      assert.equal((await replayDeadLetters(h.broker.admin, producer, dlq, { key: 'c' })).replayed, 1);
      await h.waitFor(
        async () => (await dlqSize()) === 6,
        () => 'c1 dead-lettered again',
      );
      const guarded = await replayDeadLetters(h.broker.admin, producer, dlq, { key: 'c', maxReplays: 1, dryRun: true });
      assert.equal(guarded.matched, 2);
      assert.equal(guarded.skipped, 2, 'c1 replayed already (marked), and its second dead letter hit the loop guard');
      assert.match(guarded.skippedRecords[0].reason, /replayed already \(1 time/);
      assert.match(guarded.skippedRecords[1].reason, /replayed 1 times already/);
    });
  });
}

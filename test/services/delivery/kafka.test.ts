/** The delivery guarantees on a real Apache Kafka (skipped when none answers, unless HERALD_REQUIRE_KAFKA=1). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { run } from '../../support/herald-process.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import type { BrokerFlags } from './helpers.ts';
import {
  destinationDownIsolated,
  failingUserIsolated,
  orderedThroughRetries,
  permanentFailureThenReplay,
  retriesThenDeadInOrder,
} from './scenarios.ts';

function onKafka(scenario: (t: TestContext, broker: BrokerFlags) => Promise<void>) {
  return async (t: TestContext) => {
    const servers = await kafkaSingle(t);
    if (!servers) return;
    await scenario(t, { 'broker.url': `kafka://${servers.join(',')}` });
  };
}

describe('delivery on Kafka', { timeout: 180_000 }, () => {
  it('delivers every user’s events in order through retries, signed and keyed', onKafka(orderedThroughRetries));
  it('dead-letters a 4xx at once, goes on with the user, and replays in order', onKafka(permanentFailureThenReplay));
  it('retries up to maxAttempts before the user’s next event, then dead', onKafka(retriesThenDeadInOrder));
  it('does not let a failing user hold back other users', onKafka(failingUserIsolated));
  it('does not let a down destination hold back the other one', onKafka(destinationDownIsolated));
  it('delivers everything acknowledged across a SIGKILL (delivery:check on Kafka)', async (t) => {
    const servers = await kafkaSingle(t);
    if (!servers) return;
    const result = await run(path.resolve('tools/delivery-check/main.ts'), [
      ...['--users', '10', '--events', '40', '--kill-after', '800ms', '--latency-ms', '5', '--timeout', '150s'],
      ...['--broker', `kafka://${servers.join(',')}`],
    ]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /accepted: 400/);
    assert.match(result.stdout, /check-b: .*order violations 0, lost 0/);
    assert.match(result.stdout, /killed at/);
  });
});

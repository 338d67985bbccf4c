import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeBroker } from '../../scripts/kafka/protocol.ts';
import { kafkaCluster, kafkaSingle } from '../support/kafka.ts';

// Against brokers started by npm run kafka:up / kafka:cluster; skipped when they are not running.
describe('local Kafka brokers (when running)', () => {
  it('the single node answers with one live broker', async (t) => {
    const servers = await kafkaSingle(t);
    if (!servers) return;
    const [host, port] = servers[0].split(':');
    const answer = await probeBroker(host, Number(port));
    assert.ok(answer);
    assert.ok(answer.brokers.length >= 1);
    assert.ok(answer.clusterId);
  });

  it('every cluster node answers and sees the same cluster', async (t) => {
    const servers = await kafkaCluster(t);
    if (!servers) return;
    const answers = await Promise.all(servers.map((s) => probeBroker(s.split(':')[0], Number(s.split(':')[1]))));
    const clusterIds = new Set(answers.map((a) => a?.clusterId));
    assert.equal(clusterIds.size, 1);
    assert.ok(answers.every((a) => (a?.brokers.length ?? 0) >= servers.length));
  });
});

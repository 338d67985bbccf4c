/**
 * Scale-out on the 3-node Kafka cluster: three `herald start delivery` processes share the delivery groups of one
 * destination on a 12-partition topic and all take events through their ingest APIs. One is SIGKILLed mid-load once
 * each holds partitions; publishing goes on through the survivors, which take over its partitions. Every
 * acknowledged event must be delivered, in order per user (at-least-once: redeliveries after the kill are allowed,
 * judged by the delivery check's own verdict). Skipped without the cluster unless HERALD_REQUIRE_KAFKA=1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { deliveryTopics } from '../../../services/delivery/topics.ts';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { generateLoad } from '../../../tools/delivery-check/load.ts';
import { summarise } from '../../../tools/delivery-check/verify.ts';
import { HeraldChild } from '../../../tools/shared/herald-child.ts';
import { kafkaCluster } from '../../support/kafka.ts';
import { destination, receivedAll, recorder, waitFor } from './helpers.ts';
import { groupOwners } from './group-owners.ts';

const PROCESSES = 3;
const PARTITIONS = 12;
const USERS = 40;
const EVENTS_PER_USER = 150;
/** 6,000 events over ~30 s: the kill, the session expiry (10 s) and the takeover all happen while events flow. */
const RATE_PER_SEC = 200;
const KILL_AFTER_ACCEPTED = 1_500;

it(
  'three processes share delivery’s groups on the Kafka cluster; a SIGKILLed one’s partitions move without loss or disorder',
  { timeout: 240_000 },
  async (t) => {
    const servers = await kafkaCluster(t);
    if (servers === undefined) return;
    const dest = await recorder(t, { failureRate: 0.1, maxLatencyMs: 5 });
    const topics = deliveryTopics(`t${randomBytes(5).toString('hex')}`);
    const groups = [topics.transformGroup('scale'), topics.sendGroup('scale')];
    const groupTopic = (group: string) => (group === groups[0] ? topics.source : topics.destination('scale'));
    const broker = createKafkaBroker({ kind: 'kafka', bootstrap: servers });
    await broker.start();
    const base = mkdtempSync(path.join(tmpdir(), 'herald-delivery-scale-out-'));
    const children = Array.from(
      { length: PROCESSES },
      (_, i) =>
        new HeraldChild({
          dataDir: path.join(base, `data-${i}`),
          config: {
            log: { level: 'warn' },
            broker: { url: `kafka://${servers.join(',')}` },
            shutdown: { timeout_ms: 5000 },
            delivery: {
              topic_prefix: topics.prefix,
              partitions: PARTITIONS,
              mocks: [],
              destinations: [destination('scale', dest.url)],
            },
          },
        }),
    );
    // After hooks run in the order registered: the processes stop before their topics and data go.
    t.after(async () => {
      await Promise.all(children.map((child) => child.stop(10_000)));
      const mine = (await broker.admin.listTopics()).filter((topic) => topic.name.startsWith(`${topics.prefix}.`));
      await Promise.all(mine.map((topic) => broker.admin.deleteTopic(topic.name).catch(() => {})));
      await broker.stop();
      rmSync(base, { recursive: true, force: true });
    });

    // The first creates the topics; the other two join its groups.
    await children[0].start();
    await Promise.all(children.slice(1).map((child) => child.start()));
    const everyGroupOwnedBy = (members: number) => async () => {
      for (const group of groups) {
        const owners = await groupOwners(broker.admin, group, groupTopic(group));
        if (owners.members !== members || owners.partitions.size !== PARTITIONS) return false;
      }
      return true;
    };
    await waitFor('all three processes to hold partitions of both groups', everyGroupOwnedBy(PROCESSES), 90_000);

    let next = 0;
    const victim = children[1];
    let accepted = 0;
    let killed: Promise<void> | undefined;
    const load = generateLoad({
      users: USERS,
      events: EVENTS_PER_USER,
      concurrency: USERS,
      ratePerSec: RATE_PER_SEC,
      // Round robin over the processes serving: a request the kill cut off is sent again to a survivor.
      baseUrl: () => {
        const serving = children.map((child) => child.url).filter((url) => url !== undefined);
        return serving[next++ % serving.length];
      },
      onAccepted: () => {
        accepted += 1;
        if (accepted === KILL_AFTER_ACCEPTED) killed = victim.kill();
      },
    });
    await waitFor('the kill mid-load', () => killed !== undefined, 120_000);
    await killed;
    const killedAt = performance.now();
    await waitFor('the two survivors to own every partition of both groups', everyGroupOwnedBy(2), 90_000);
    const takeoverMs = performance.now() - killedAt;
    const tookOverAt = accepted;
    const result = await load;
    const ids = result.accepted.map((event) => event.id);
    // Past the guard the verdict below says what is missing.
    await waitFor('every acknowledged event delivered', () => receivedAll(dest, ids), 90_000).catch(() => {});

    assert.ok(tookOverAt < result.accepted.length, 'events were still being published after the takeover');
    const summary = summarise(result.accepted, dest.receipts, () => false);
    assert.equal(result.accepted.length, USERS * EVENTS_PER_USER);
    assert.equal(summary.lost, 0, `${summary.lost} acknowledged events lost, e.g. ${summary.lostSample.join(', ')}`);
    assert.equal(summary.delivered, result.accepted.length);
    assert.equal(summary.orderViolations, 0);
    t.diagnostic(
      `accepted ${result.accepted.length}; killed after ${KILL_AFTER_ACCEPTED}, the survivors owned every partition ` +
        `${(takeoverMs / 1000).toFixed(1)} s later (after ${tookOverAt}); duplicates ${summary.duplicates}, ` +
        `unacknowledged-but-delivered ${summary.unacknowledged}, requests retried ${result.retriedRequests}`,
    );
  },
);

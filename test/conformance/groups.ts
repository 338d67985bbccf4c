import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { GroupConsumer } from '../../src/broker/port.ts';
import { type Harness, type HarnessTest, range, sleep, texts, tpKey, waitFor } from './helpers.ts';
import { collect, Ledger, positions, Recorder, type RecorderOptions, record } from './recorder.ts';

interface Member {
  consumer: GroupConsumer;
  recorder: Recorder;
}

/** Starts a member of `group` that commits every batch and shares `ledger` with the other members. */
async function member(
  h: Harness,
  topic: string,
  group: string,
  name: string,
  ledger: Ledger,
  options: RecorderOptions = {},
): Promise<Member> {
  const consumer = h.consumer({ group, topics: [topic], clientId: name });
  const recorder = await record(consumer, new Recorder({ name, ledger, commitEach: true, ...options }));
  return { consumer, recorder };
}

/** Waits until the members' callbacks and `assignment()` agree, cover all partitions, and each member has some. */
async function settled(h: Harness, topic: string, partitions: number, members: Member[]): Promise<void> {
  const all = range(partitions).map((partition) => tpKey({ topic, partition }));
  const owned = () => members.map((m) => m.recorder.ownedKeys());
  await waitFor(
    () => {
      const union = owned().flat().sort();
      return (
        JSON.stringify(union) === JSON.stringify([...all].sort()) &&
        owned().every((keys) => keys.length > 0) &&
        members.every(
          (m, i) => JSON.stringify(m.consumer.assignment().map(tpKey).sort()) === JSON.stringify(owned()[i]),
        )
      );
    },
    () => `each of ${members.length} members to own part of ${all.join(', ')}; owned: ${JSON.stringify(owned())}`,
    h.timeoutMs,
  );
}

async function produce(h: Harness, topic: string, from: number, count: number): Promise<string[]> {
  const values = range(count, from).map((i) => `r${i}`);
  await h.producer().send(values.map((v) => ({ topic, key: Buffer.from(v), value: Buffer.from(v) })));
  return values;
}

function sorted(values: (string | null)[]): (string | null)[] {
  return [...values].sort();
}

export function groupTests(test: HarnessTest): void {
  describe('consumer groups', () => {
    test('members of a group own disjoint partitions and together get every record once', async (h) => {
      const partitions = 6;
      const topic = await h.topic(partitions);
      const group = h.group();
      const ledger = new Ledger();
      const sent = await produce(h, topic, 0, 300);
      // Joining at the same moment: the group must sort out concurrent joins.
      const members = await Promise.all(['a', 'b', 'c'].map((name) => member(h, topic, group, name, ledger)));
      await settled(h, topic, partitions, members);
      sent.push(...(await produce(h, topic, 300, 300)));
      const recorders = members.map((m) => m.recorder);
      const got = await collect(recorders, sent.length, h.timeoutMs);
      assert.deepEqual(ledger.violations, []);
      assert.deepEqual(sorted(texts(got)), sorted(sent));
      const owned = members.flatMap((m) => m.recorder.ownedKeys());
      assert.equal(new Set(owned).size, partitions, `partitions owned twice: ${owned}`);
    });

    test('a joining member triggers a rebalance that awaits onRevoked and skips nothing', async (h) => {
      const partitions = 4;
      const topic = await h.topic(partitions);
      const group = h.group();
      const ledger = new Ledger();
      const sent = await produce(h, topic, 0, 40);
      let revoking = 0;
      const a = await member(h, topic, group, 'a', ledger, {
        // Holds the partitions a while: if the broker did not await this, 'b' would get them while 'a' owns them.
        async beforeRevoke() {
          revoking += 1;
          await sleep(200);
        },
      });
      await collect(a.recorder, 40, h.timeoutMs);
      await settled(h, topic, partitions, [a]);
      const b = await member(h, topic, group, 'b', ledger);
      await settled(h, topic, partitions, [a, b]);
      assert.ok(revoking > 0, "'a' gave partitions to 'b' without onRevoked");
      assert.ok(a.recorder.revoked.flat().length > 0);
      sent.push(...(await produce(h, topic, 40, 40)));
      const got = await collect([a.recorder, b.recorder], 80, h.timeoutMs);
      assert.ok(b.recorder.records.length > 0, "'b' received nothing");
      assert.deepEqual(ledger.violations, []);
      assert.deepEqual(sorted(texts(got)), sorted(sent));
    });

    test('a leaving member hands its partitions over and records keep flowing', async (h) => {
      const partitions = 4;
      const topic = await h.topic(partitions);
      const group = h.group();
      const ledger = new Ledger();
      const a = await member(h, topic, group, 'a', ledger);
      const b = await member(h, topic, group, 'b', ledger);
      await settled(h, topic, partitions, [a, b]);
      const sent = await produce(h, topic, 0, 40);
      await collect([a.recorder, b.recorder], 40, h.timeoutMs);
      const bOwned = b.recorder.ownedKeys();
      const bReceived = b.recorder.records.length;

      await b.consumer.close();
      assert.deepEqual(b.recorder.ownedKeys(), [], "'b' closed without onRevoked for all it owned");
      assert.deepEqual(b.recorder.revoked.flat().map(tpKey).sort(), bOwned);
      await settled(h, topic, partitions, [a]);
      sent.push(...(await produce(h, topic, 40, 40)));
      const got = await collect([a.recorder, b.recorder], 80, h.timeoutMs);
      assert.equal(b.recorder.records.length, bReceived, "'b' received records after close");
      assert.deepEqual(ledger.violations, []);
      assert.deepEqual(sorted(texts(got)), sorted(sent));
    });

    test('commits made in onRevoked count: the next owner resumes after them', async (h) => {
      const partitions = 4;
      const topic = await h.topic(partitions);
      const group = h.group();
      const ledger = new Ledger();
      const sent = await produce(h, topic, 0, 40);
      const a = await member(h, topic, group, 'a', ledger, { commitEach: false, commitOnRevoke: true });
      await collect(a.recorder, 40, h.timeoutMs);
      const b = await member(h, topic, group, 'b', ledger, { commitEach: false, commitOnRevoke: true });
      await settled(h, topic, partitions, [a, b]);
      sent.push(...(await produce(h, topic, 40, 40)));
      const got = await collect([a.recorder, b.recorder], 80, h.timeoutMs);
      assert.deepEqual(sorted(texts(got)), sorted(sent), 'records were skipped or handed over twice');
    });

    test('records handed over but not committed are handed over again to the next owner', async (h) => {
      const partitions = 4;
      const topic = await h.topic(partitions);
      const group = h.group();
      const ledger = new Ledger();
      await produce(h, topic, 0, 40);
      const a = await member(h, topic, group, 'a', ledger, { commitEach: false });
      await collect(a.recorder, 40, h.timeoutMs);
      const b = await member(h, topic, group, 'b', ledger, { commitEach: false });
      await settled(h, topic, partitions, [a, b]);
      const moved = new Set(b.recorder.ownedKeys());
      const expected = a.recorder.records.filter((r) => moved.has(tpKey(r)));
      const got = await collect(b.recorder, expected.length, h.timeoutMs);
      assert.deepEqual(positions(got), positions(expected));
    });

    test('members subscribed to different topics only get partitions of their own topics', async (h) => {
      const shared = await h.topic(2);
      const own = await h.topic(2);
      const group = h.group();
      const ledger = new Ledger();
      const a = h.consumer({ group, topics: [shared], clientId: 'a' });
      const b = h.consumer({ group, topics: [shared, own], clientId: 'b' });
      const ra = await record(a, new Recorder({ name: 'a', ledger, commitEach: true }));
      const rb = await record(b, new Recorder({ name: 'b', ledger, commitEach: true }));
      const all = [shared, own].flatMap((topic) => range(2).map((partition) => tpKey({ topic, partition })));
      await waitFor(
        () => JSON.stringify([...ra.ownedKeys(), ...rb.ownedKeys()].sort()) === JSON.stringify([...all].sort()),
        () => `all of ${all} owned; a: ${ra.ownedKeys()}, b: ${rb.ownedKeys()}`,
        h.timeoutMs,
      );
      assert.deepEqual(
        ra.ownedKeys().filter((key) => !key.startsWith(`${shared}/`)),
        [],
        "'a' got a partition of a topic it did not subscribe to",
      );
      const values = range(20).map((i) => `r${i}`);
      await h
        .producer()
        .send(
          values.map((v, i) => ({ topic: i % 2 === 0 ? shared : own, key: Buffer.from(v), value: Buffer.from(v) })),
        );
      const got = await collect([ra, rb], 20, h.timeoutMs);
      assert.deepEqual(sorted(texts(got)), sorted(values));
    });

    test('members in different groups each get every record', async (h) => {
      const topic = await h.topic(2);
      const sent = await produce(h, topic, 0, 20);
      const one = await record(h.consumer({ topics: [topic] }));
      const two = await record(h.consumer({ topics: [topic] }));
      assert.deepEqual(sorted(texts(await collect(one, 20, h.timeoutMs))), sorted(sent));
      assert.deepEqual(sorted(texts(await collect(two, 20, h.timeoutMs))), sorted(sent));
    });
  });
}

/**
 * Views reading uncommitted (`isolation: 'read_uncommitted'`): a processor's change is readable in its process once
 * its batch was processed, before the commit; a failed commit takes it back until the records are processed again;
 * a committed view, and a partition no processor of the process owns, see committed changes only.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { partitionForKey } from '../../src/broker/partitioner.ts';
import type { Broker, CommitChain, GroupConsumer } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { View } from '../../src/processor/view.ts';
import { recentUtilization, SATURATED, WINDOW_MS } from '../../src/kit/event-loop-load.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { bound, type BrokerKind, KINDS, logger, uniqueName, waitFor } from './harness.ts';

/** Commits held until the test lets one through (`release`) or fails one as a broker outage would (`fail`). */
class CommitGate {
  readonly #held: { go: () => void; fail: (err: Error) => void }[] = [];
  /** Commit calls made. */
  calls = 0;

  get held(): number {
    return this.#held.length;
  }

  wrap(broker: Broker): Broker {
    return new Proxy(broker, {
      get: (target, property) => {
        if (property !== 'consumer') return bound(target, property);
        return (options: Parameters<Broker['consumer']>[0]): GroupConsumer => {
          const consumer = target.consumer(options);
          const commitTransaction: GroupConsumer['commitTransaction'] = (records, positions, chain?: CommitChain) => {
            this.calls += 1;
            return new Promise<void>((go, fail) => this.#held.push({ go, fail })).then(
              () => consumer.commitTransaction(records, positions, chain),
              (err: Error) => {
                if (chain !== undefined) chain.failure ??= err;
                throw err;
              },
            );
          };
          return new Proxy(consumer, { get: (c, p) => (p === 'commitTransaction' ? commitTransaction : bound(c, p)) });
        };
      },
    });
  }

  release(): void {
    this.#held.shift()?.go();
  }

  /** Lets every commit through, those held now and those asked for meanwhile, until none is held and `done()`. */
  async releaseUntil(done: () => boolean): Promise<void> {
    while (this.held > 0 || !done()) {
      this.release();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  fail(): void {
    this.#held.shift()?.fail(new HeraldError('HERALD_BROKER_UNAVAILABLE', 'injected'));
  }
}

/**
 * A processor summing the numbers of a fresh input topic of `partitions` partitions per key (two batches in flight
 * on either broker; `maxBatchSize` as given), every commit held by a {@link CommitGate}, and a committed and an uncommitted view of its
 * table; `undefined` when the broker kind is not available.
 */
async function summing(t: TestContext, kind: BrokerKind, partitions: number, maxBatchSize?: number) {
  const brokers = await kind.open(t);
  if (brokers === undefined) return undefined;
  const real = await brokers.broker();
  const gate = new CommitGate();
  const broker = gate.wrap(real);
  const input = uniqueName('in');
  const group = uniqueName('g');
  await real.admin.createTopic({ name: input, partitions });
  const num = jsonCodec<number>();
  const topology = defineGroup(group)
    .persist(num)
    .input(input, num, (ctx, v) => ctx.set((ctx.get() ?? 0) + (v ?? 0)))
    .build();
  const processor = new Processor(topology, { broker, dataDir: await brokers.dir(), logger, inFlightBatches: 2, maxBatchSize });
  await processor.start();
  t.after(() => processor.stop());
  const view = (isolation: 'read_committed' | 'read_uncommitted') => new View({ broker, table: groupTable(group), codec: num, isolation });
  const [committed, uncommitted] = [view('read_committed'), view('read_uncommitted')];
  await Promise.all([committed.start(), uncommitted.start()]);
  t.after(() => Promise.all([committed.stop(), uncommitted.stop()]));
  return { gate, processor, committed, uncommitted, emitter: new Emitter(real.producer(), input, num) };
}

type Summing = NonNullable<Awaited<ReturnType<typeof summing>>>;

/**
 * Emits 1 to key `k` `count` times, each (after `before()`) seen processed by the uncommitted view before the next;
 * the sum starts at 0.
 */
async function emitProcessedOnes({ emitter, uncommitted }: Summing, count: number, before = () => {}): Promise<void> {
  for (let i = 1; i <= count; i++) {
    before();
    const position = await emitter.emit('k', 1);
    assert.equal((await uncommitted.waitForSource(position, 10_000)).reached, true, `record ${i} processed without a commit`);
    assert.equal(uncommitted.get('k'), i);
  }
}

/** Samples the event loop's load over an idle spell: batches are held only while it has time to spare. */
async function spareTime(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 50));
  assert.ok(recentUtilization() < SATURATED);
}

for (const kind of KINDS) {
  describe(`views reading uncommitted on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('see a processed change before its commit, lose it when the commit fails, and see it again once reprocessed', async (t) => {
      const setup = await summing(t, kind, 2);
      if (setup === undefined) return;
      const { gate, processor, committed, uncommitted, emitter } = setup;

      const first = await emitter.emit('k', 5);
      const seen = await uncommitted.waitForSource(first, 10_000);
      assert.equal(seen.reached, true, 'the uncommitted view reached the record before its commit');
      assert.equal(uncommitted.get('k'), 5);
      assert.equal(gate.held, 1, 'its commit is still held');
      assert.equal(committed.get('k'), undefined, 'the committed view does not show it');
      assert.equal((await committed.waitForSource(first, 100)).reached, false);
      gate.release();
      assert.equal((await committed.waitForSource(first, 10_000)).reached, true);
      assert.equal(committed.get('k'), 5);

      const second = await emitter.emit('k', 2);
      assert.equal((await uncommitted.waitForSource(second, 10_000)).reached, true);
      assert.equal(uncommitted.get('k'), 7);
      gate.fail();
      await waitFor('the failed batch taken back', () => uncommitted.get('k') === 5, 5_000);
      await waitFor('the batch processed again', () => gate.held === 1 && uncommitted.get('k') === 7, 10_000);
      assert.equal(committed.get('k'), 5);
      gate.release();
      await waitFor('committed once', () => committed.get('k') === 7, 10_000);
      assert.equal(processor.get('k', partitionForKey(Buffer.from('k'), 2)), 7);

      // Processed, then the processor stops (its commit let through): the view reads the committed copy again.
      const third = await emitter.emit('k', 1);
      await waitFor('processed', () => uncommitted.get('k') === 8, 10_000);
      let stopped = false;
      const stopping = processor.stop().then(() => (stopped = true));
      while (!stopped) {
        gate.release();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await stopping;
      assert.equal((await committed.waitForSource(third, 10_000)).reached, true);
      await emitter.emit('k', 100);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(uncommitted.get('k'), 8, 'no processor here owns the partition: the committed value');
    });

    it('batches that find no room in flight are processed at once, held, and committed as one', async (t) => {
      const setup = await summing(t, kind, 1);
      if (setup === undefined) return;
      const { gate, processor } = setup;
      await spareTime();
      // Every commit is held: the first two batches fill the room in flight, the next ones are held and merged.
      await emitProcessedOnes(setup, 6);
      assert.equal(gate.calls, 2, 'two commits asked for: the rest held');
      gate.release();
      await waitFor('the held batches asked for as one commit', () => gate.calls === 3, 10_000);
      while (gate.held > 0) gate.release();
      await waitFor('six counted once', () => processor.get('k', 0) === 6, 10_000);
      assert.equal(gate.calls, 3);
    });

    it('on a saturated event loop, a batch that finds no room is held too, after a short wait for room', async (t) => {
      const setup = await summing(t, kind, 1);
      if (setup === undefined) return;
      const { gate, processor } = setup;
      /**
       * Keeps the event loop busy so that its load sampled now (and kept for the next window) is saturated: twice a
       * window, as the first sample averages over the time since the one before.
       */
      const saturate = () => {
        for (let n = 0; n < 2; n++) {
          const until = performance.now() + WINDOW_MS + 20;
          while (performance.now() < until);
          recentUtilization();
        }
        assert.ok(recentUtilization() >= SATURATED);
      };
      // Every commit is held: the first two batches fill the room in flight; the next ones do not wait for it.
      await emitProcessedOnes(setup, 4, saturate);
      assert.equal(gate.calls, 2, 'two commits asked for: the rest held');
      await gate.releaseUntil(() => processor.get('k', 0) === 4);
    });

    it('past a full batch of held records, processing waits for a commit (commits that hang hold no more)', async (t) => {
      const setup = await summing(t, kind, 1, 3);
      if (setup === undefined) return;
      const { gate, processor, uncommitted, emitter } = setup;
      await spareTime();
      // Two batches in flight, then three held: a full batch's worth.
      await emitProcessedOnes(setup, 5);
      const sixth = await emitter.emit('k', 1);
      assert.equal((await uncommitted.waitForSource(sixth, 500)).reached, false, 'not processed while the commits hang');
      assert.equal(uncommitted.get('k'), 5);
      gate.release();
      assert.equal((await uncommitted.waitForSource(sixth, 10_000)).reached, true, 'processed once a commit settled');
      assert.equal(uncommitted.get('k'), 6);
      await gate.releaseUntil(() => processor.get('k', 0) === 6);
    });
  });
}


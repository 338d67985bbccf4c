import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { addToWindows, tumbling, type Window } from '../../src/processor/windows/index.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';

interface Counts {
  windows: Window<number>[];
  final: [start: number, count: number][];
  late: number;
}

for (const kind of KINDS) {
  describe(`event-time windows on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('out-of-order records within grace count, later ones are dropped, closed windows are final', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('clicks');
      const output = uniqueName('final');
      const group = uniqueName('counts');
      await broker.admin.createTopic({ name: input, partitions: 1 });
      await broker.admin.createTopic({ name: output, partitions: 1 });
      const spec = tumbling({ sizeMs: 1_000, graceMs: 500 });
      const processor = new Processor(
        defineGroup(group)
          .persist(jsonCodec<Counts>())
          .output(output, jsonCodec<[number, number]>())
          .input(input, jsonCodec<number>(), (ctx) => {
            const state = ctx.get() ?? { windows: [], final: [], late: 0 };
            const update = addToWindows(ctx, spec, state.windows, () => 0, (n) => n + 1);
            for (const w of update.closed) ctx.emit(output, ctx.key, [w.start, w.value]);
            ctx.set({
              windows: update.windows,
              final: [...state.final, ...update.closed.map((w): [number, number] => [w.start, w.value])],
              late: state.late + (update.late ? 1 : 0),
            });
          })
          .build(),
        { broker, logger },
      );
      await processor.start();
      t.after(() => processor.stop());
      const emitter = new Emitter(broker.producer(), input, jsonCodec<number>());
      const base = 1_700_000_000_000;
      // [0,1000): 100, 900, then 1200 moves stream time, 950 is within grace (1000 + 500 > 1200),
      // 1600 closes [0,1000) (1500 <= 1600), 990 is late.
      for (const offset of [100, 900, 1_200, 950, 1_600, 990, 2_600]) {
        await emitter.emit('user', 1, { timestamp: base + offset });
      }
      await waitFor('all processed', () => (processor.get('user', 0)?.windows.length ?? 0) > 0 && (processor.get('user', 0)?.late ?? 0) === 1);
      await waitFor('[1000,2000) final', () => (processor.get('user', 0)?.final.length ?? 0) === 2);
      const counts = processor.get('user', 0) as Counts;
      assert.deepEqual(counts.final, [
        [base, 3],
        [base + 1_000, 2],
      ]);
      assert.equal(counts.late, 1);
      assert.deepEqual(
        counts.windows.map((w) => [w.start, w.value]),
        [[base + 2_000, 1]],
      );
      const emitted = await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 10);
      assert.deepEqual(
        emitted.map((r) => JSON.parse(String(r.value))),
        [
          [base, 3],
          [base + 1_000, 2],
        ],
      );
    });
  });
}

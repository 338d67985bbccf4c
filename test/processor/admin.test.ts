import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processorsOverview } from '../../src/admin/processors.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { isHeraldError } from '../../src/errors.ts';
import type { ServiceDefinition } from '../../src/platform/service.ts';
import { Processor } from '../../src/processor/processor.ts';
import { ProcessorRegistry } from '../../src/processor/registry.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { View } from '../../src/processor/view.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { creates } from '../../src/topology/declaration.ts';
import { bootHerald, request } from '../support/boot.ts';
import { cli } from '../support/cli.ts';
import { uniqueName, waitFor } from './harness.ts';

describe('processors in the platform', () => {
  it('boot provisions their topics; GET /admin/processors, the CLI and /metrics show them', async (t) => {
    const input = uniqueName('in');
    const group = uniqueName('g');
    const num = jsonCodec<number>();
    const topology = defineGroup(group)
      .persist(num)
      .input(input, num, (ctx, v) => ctx.set((ctx.get() ?? 0) + (v ?? 0)))
      .build();
    const service: ServiceDefinition = {
      name: 'counting',
      summary: 'counts',
      // Only the input is the service's; the changelog and dead letters come from the processor's declaration.
      topology: () => [creates('counting', 'input', { name: input, partitions: 2 })],
      create({ broker, logger, metrics, processors, platform }) {
        const processor = new Processor(topology, {
          broker,
          logger,
          dataDir: platform.dataDir,
          guarantee: 'at-least-once',
          metrics,
          registry: processors,
        });
        const view = new View({ broker, table: groupTable(group), codec: num, registry: processors, metrics });
        return [processor, view];
      },
    };
    const { url, broker } = await bootHerald(t, {}, [service]);
    const changelog = await broker.admin.describeTopic(groupTable(group));
    assert.deepEqual([changelog.partitions.length, changelog.compacted], [2, true], 'partitioned like the input');
    await broker.admin.describeTopic(`${input}.${group}.dlq`);

    const emitter = new Emitter(broker.producer(), input, num);
    for (let i = 0; i < 10; i++) await emitter.emit(`k${i}`, 1);
    await waitFor('ten keys in the table', async () => {
      const { body } = await request(`${url}/admin/processors`);
      const p = body.processors.find((x: { group: string }) => x.group === group);
      return p?.partitions.reduce((s: number, x: { tableKeys: number }) => s + x.tableKeys, 0) === 10;
    });
    const { status, body } = await request(`${url}/admin/processors`);
    assert.equal(status, 200);
    const [processor] = body.processors;
    assert.equal(processor.guarantee, 'at-least-once');
    assert.equal(processor.state, 'running');
    assert.deepEqual(
      processor.partitions.map((p: { partition: number; restore: { mode: string } }) => [p.partition, p.restore.mode]),
      [
        [0, 'cold'],
        [1, 'cold'],
      ],
    );
    assert.equal(body.views[0].table, groupTable(group));
    assert.equal(body.views[0].partitions.length, 2);

    const listed = await cli(['processors', 'list', '--server', url]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      listed.lines.map((l: { kind: string; group?: string; table?: string }) => [l.kind, l.group ?? l.table]),
      [
        ['processor', group],
        ['view', groupTable(group)],
      ],
    );

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, new RegExp(`herald_processor_records_total\\{group="${group}"\\} 10`));
    assert.match(metrics, /herald_processor_restore_duration_seconds\{group="[^"]+",partition="0"\}/);
    assert.match(metrics, /herald_processor_table_writes_total/);
  });

  it('the admin core sorts what the registry holds; without a registry there is nothing to ask', () => {
    const registry = new ProcessorRegistry();
    const status = (group: string) => ({ group, guarantee: 'exactly-once' as const, state: 'running' as const, partitions: [], standby: [] });
    registry.addProcessor({ status: () => status('b') });
    const removeA = registry.addProcessor({ status: () => status('a') });
    registry.addView({ status: () => ({ table: 'z-table', caughtUp: true, lag: 0, partitions: [] }) });
    assert.deepEqual(
      processorsOverview(registry).processors.map((p) => p.group),
      ['a', 'b'],
    );
    removeA();
    assert.deepEqual(
      processorsOverview(registry).processors.map((p) => p.group),
      ['b'],
    );
    assert.equal(processorsOverview(registry).views[0].table, 'z-table');
    assert.throws(() => processorsOverview(undefined), (err) => isHeraldError(err, 'HERALD_NOT_FOUND'));
  });

  it('herald processors: usage mistakes exit 2, and --broker is refused (a broker knows no processors)', async () => {
    for (const args of [['processors'], ['processors', 'show'], ['processors', 'list', '--broker', 'kafka://127.0.0.1:9']]) {
      const result = await cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^herald processors: .+\nusage: herald processors list/);
    }
  });
});

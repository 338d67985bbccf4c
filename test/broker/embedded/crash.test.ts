import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { BULK_DIR } from '../../../src/broker/embedded/bulk-store.ts';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { expectedRecord } from './fixtures/crash-records.ts';
import { NODE, openBroker, ROOT, tempDir, uniqueName, waitFor } from './helpers.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/crash-producer.ts');
const PARTITIONS = 3;

describe('embedded broker: crash safety (SIGKILL while sending)', () => {
  for (const durability of ['fsync', 'os'] as const) {
    it(`keeps every acknowledged record intact and no torn batch (durability '${durability}')`, async (t) => {
      const dataDir = tempDir(t);
      const topic = uniqueName('crash');
      const setup = await openBroker(t, { dataDir });
      await setup.admin.createTopic({ name: topic, partitions: PARTITIONS });
      await setup.stop();

      const child = spawn(NODE, [FIXTURE, dataDir, topic, durability], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      t.after(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk) => {
        stderr += chunk;
      });
      const acked: { batch: number; positions: [number, number][] }[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => acked.push(JSON.parse(line)));
      await waitFor(() => acked.length >= 300 || child.exitCode !== null, '300 acknowledged batches');
      assert.equal(child.exitCode, null, `the producer died: ${stderr}`);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      // Sends of a write share runs, and runs of 64 KiB or more go to the bulk files: the kill met those writes too.
      assert.ok(fs.readdirSync(path.join(dataDir, BULK_DIR)).length > 0, 'no run went to the bulk files');

      const broker = await openBroker(t, { dataDir });
      const stored = new Map<string, BrokerRecord>();
      const info = await broker.admin.describeTopic(topic);
      for (const { partition, earliest, latest } of info.partitions) {
        assert.equal(earliest, 0);
        for (let offset = 0; offset < latest; ) {
          const page = await broker.admin.read({ topic, partition, offset }, 1_000);
          for (const [i, record] of page.entries()) {
            assert.equal(record.offset, offset + i, `partition ${partition} has a gap at ${offset + i}`);
            stored.set(`${partition}:${record.offset}`, record);
          }
          offset += page.length;
        }
      }
      // Every acknowledged record is where send said it is, byte for byte.
      for (const { batch, positions } of acked) {
        for (const [i, [partition, offset]] of positions.entries()) {
          const record = stored.get(`${partition}:${offset}`);
          assert.ok(record, `acknowledged batch ${batch} record ${i} at ${partition}:${offset} is missing`);
          const expected = expectedRecord(batch, i, positions.length);
          assert.deepEqual(
            [record.key, record.value, record.headers, record.timestamp],
            [expected.key, expected.value, expected.headers, expected.timestamp],
          );
        }
      }
      // Everything stored (acknowledged or not) is intact, and batches are all-or-nothing.
      const perBatch = new Map<number, number>();
      for (const record of stored.values()) {
        const batch = Number(record.headers.batch);
        const expected = expectedRecord(batch, Number(record.headers.i), Number(record.headers.size));
        assert.deepEqual(record.value, expected.value, `record ${record.partition}:${record.offset} is torn`);
        perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
      }
      for (const [batch, count] of perBatch) assert.equal(count, 1 + (batch % 40), `batch ${batch} is partial`);
      assert.ok(stored.size >= acked.reduce((n, a) => n + a.positions.length, 0));

      const [next] = await broker.producer().send([{ topic, partition: 0, value: Buffer.from('after') }]);
      assert.equal(next.offset, info.partitions[0].latest);
    });
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { createBroker } from '../../src/broker/create.ts';
import { ConfigError } from '../../src/config/load.ts';
import { boot } from '../../src/platform/boot.ts';
import type { ServiceDefinition } from '../../src/platform/service.ts';
import { creates, uses } from '../../src/topology/declaration.ts';

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-boot-topology-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const flags = (dir: string) => ({ 'http.port': '0', dataDir: dir, 'log.level': 'silent' });

describe('boot: declared topology', () => {
  it('creates every service topic before any component starts', async (t) => {
    const dir = dataDir(t);
    const seen: string[][] = [];
    const service: ServiceDefinition = {
      name: 'shop',
      summary: 'test',
      topology: () => [creates('shop', 'input', { name: 'orders', partitions: 4 })],
      create: ({ broker }) => [
        {
          name: 'checker',
          topology: () => [uses('checker', 'input', 'orders'), creates('checker', 'internal', { name: 'ledger', partitions: 1, compacted: true })],
          start: async () => void seen.push((await broker.admin.listTopics()).map((topic) => topic.name)),
          stop: async () => {},
        },
      ],
    };
    const running = await boot({ services: [service], env: {}, flags: flags(dir), logStream: new PassThrough() });
    t.after(() => running.lifecycle.stop(5_000));
    assert.deepEqual(seen, [['__herald.replays', 'ledger', 'orders']], "the services' topics and the platform's own");
    assert.equal((await running.broker.admin.describeTopic('orders')).partitions.length, 4);
  });

  it('refuses services that disagree about a topic before starting anything', async (t) => {
    const dir = dataDir(t);
    let created = false;
    const service = (name: string, partitions: number): ServiceDefinition => ({
      name,
      summary: 'test',
      topology: () => [creates(name, 'input', { name: 'shared', partitions })],
      create: () => {
        created = true;
        return [];
      },
    });
    await assert.rejects(
      boot({ services: [service('a', 1), service('b', 2)], env: {}, flags: flags(dir), logStream: new PassThrough() }),
      (err) =>
        err instanceof ConfigError &&
        err.problems.length === 1 &&
        /^topology: shared is created as input of a and as input of b with different partitions/.test(err.problems[0]),
    );
    assert.equal(created, true, 'services were built, so their declarations could be read');
    // Nothing started: the data directory is free and holds no topic.
    const broker = await createBroker({ kind: 'embedded', dataDir: dir });
    await broker.start();
    t.after(() => broker.stop());
    assert.deepEqual(await broker.admin.listTopics(), []);
  });
});

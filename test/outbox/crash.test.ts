import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createEmbeddedBroker } from '../../src/broker/embedded/index.ts';
import { OUTBOX_HEADERS } from '../../src/outbox/index.ts';
import {
  type OutboxFactory,
  type OutboxUnderTest,
  postgresFactory,
  readTopic,
  sqliteFactory,
  tempDir,
  uniqueTopic,
  waitFor,
} from './harness.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'relay-child.ts');

interface Child {
  process: ChildProcess;
  /** Event ids whose transaction the child saw resolve. */
  committed: string[];
  ready: Promise<void>;
  exit: Promise<NodeJS.Signals | number | null>;
}

function startChild(t: TestContext, args: string[], options: object): Child {
  const child = spawn(process.execPath, [CHILD, ...args, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const committed: string[] = [];
  let buffered = '';
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
    }
  });
  const exit = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { process: child, committed, ready, exit };
}

/** Where the child finds the store: the SQLite file or the PostgreSQL URL. */
function location(under: OutboxUnderTest): string {
  const store = under.store as unknown as { db?: { location(): string | null }; pool?: { options: { connectionString: string } } };
  return store.db?.location() ?? store.pool!.options.connectionString;
}

async function brokerWithTopic(t: TestContext) {
  const brokerDir = tempDir(t);
  const topic = uniqueTopic();
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir: brokerDir });
  await broker.start();
  await broker.admin.createTopic({ name: topic, partitions: 4 });
  await broker.stop();
  return { brokerDir, topic };
}

async function published(brokerDir: string, topic: string) {
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir: brokerDir });
  await broker.start();
  try {
    return await readTopic(broker, topic);
  } finally {
    await broker.stop();
  }
}

function crashCases(name: string, kind: 'sqlite' | 'postgres', factory: OutboxFactory) {
  describe(`outbox relay killed with SIGKILL on ${name}`, { timeout: 120_000 }, () => {
    it('publishes every committed row after a restart: the killed batch twice, nothing lost, order kept', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      const expected = new Map<string, number>();
      for (let i = 0; i < 600; i++) expected.set(keys[i % keys.length], await under.writeVersioned('task', keys[i % keys.length]));
      const where = location(under);
      if (kind === 'sqlite') await under.close(); // the child owns the file
      const { brokerDir, topic } = await brokerWithTopic(t);

      const first = startChild(t, [kind, where, brokerDir, topic], { killAfterSends: 3, batchSize: 50 });
      assert.equal(await first.exit, 'SIGKILL');
      const second = startChild(t, [kind, where, brokerDir, topic], { batchSize: 50 });
      await second.ready;
      const reopened = kind === 'sqlite' ? await sqliteReopen(t, where) : under;
      await waitFor('the rest published', async () => (await reopened.counts()).unpublished === 0, 60_000);
      second.process.kill('SIGTERM');
      assert.equal(await second.exit, 0);

      const records = await published(brokerDir, topic);
      const seen = new Map<string, number[]>();
      for (const r of records) {
        const key = r.key!.toString();
        seen.set(key, [...(seen.get(key) ?? []), Number(r.headers[OUTBOX_HEADERS.aggregateVersion])]);
      }
      const duplicates = records.length - 600;
      assert.equal(duplicates, 50, 'exactly the batch whose send resolved before the kill is published twice');
      for (const [key, last] of expected) {
        const firsts = [...new Set(seen.get(key))];
        assert.deepEqual(
          firsts,
          Array.from({ length: last }, (_, i) => i + 1),
          `every version of ${key}, first seen in order`,
        );
      }
    });

    it('loses no acknowledged transaction when killed at a random moment while writing', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const where = location(under);
      if (kind === 'sqlite') await under.close();
      const { brokerDir, topic } = await brokerWithTopic(t);
      const first = startChild(t, [kind, where, brokerDir, topic], { writers: 4, batchSize: 20 });
      await first.ready;
      await waitFor('some commits', () => first.committed.length >= 200);
      first.process.kill('SIGKILL');
      assert.equal(await first.exit, 'SIGKILL');
      const acknowledged = [...first.committed];
      const second = startChild(t, [kind, where, brokerDir, topic], {});
      await second.ready;
      const reopened = kind === 'sqlite' ? await sqliteReopen(t, where) : under;
      await waitFor('everything published', async () => (await reopened.counts()).unpublished === 0, 60_000);
      second.process.kill('SIGTERM');
      await second.exit;
      const ids = new Set((await published(brokerDir, topic)).map((r) => r.headers[OUTBOX_HEADERS.eventId]));
      const lost = acknowledged.filter((id) => !ids.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged events lost`);
    });
  });
}

/** A read-only view of a SQLite outbox the child owns, to count its rows. */
async function sqliteReopen(t: TestContext, file: string): Promise<Pick<OutboxUnderTest, 'counts'>> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true, timeout: 5000 });
  t.after(() => db.close());
  const count = db.prepare(
    'SELECT sum(published_at IS NULL) AS unpublished, sum(published_at IS NOT NULL) AS published FROM herald_outbox',
  );
  return {
    counts: async () => {
      const row = count.get() as { unpublished: number | null; published: number | null };
      return { unpublished: row.unpublished ?? 0, published: row.published ?? 0 };
    },
  };
}

crashCases('SQLite', 'sqlite', sqliteFactory);
crashCases('PostgreSQL', 'postgres', postgresFactory);

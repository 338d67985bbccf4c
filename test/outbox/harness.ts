import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { Broker, BrokerRecord } from '../../src/broker/port.ts';
import { createEmbeddedBroker } from '../../src/broker/embedded/index.ts';
import { type OutboxMessage, type OutboxStore, PostgresOutbox, SqliteOutbox } from '../../src/outbox/index.ts';
import { postgresLocal } from '../support/postgres.ts';

export const silent = pino({ level: 'silent' });

/** A store under test with uniform helpers, whatever its database. */
export interface OutboxUnderTest {
  readonly store: OutboxStore;
  /** Appends `messages` in one transaction; with `fail`, throws after appending (so it all rolls back). */
  write(messages: OutboxMessage[], options?: { fail?: boolean }): Promise<void>;
  /**
   * In one transaction: bumps aggregate `key`'s version in an aggregates table (its first write, as a repository
   * updating its row does), then appends an event carrying that version. Resolves with the version.
   */
  writeVersioned(aggregateType: string, key: string): Promise<number>;
  counts(): Promise<{ unpublished: number; published: number }>;
  close(): Promise<void>;
}

/** Makes a store for one test (closed when it ends), or undefined when its database is not available (skipped). */
export type OutboxFactory = (t: TestContext) => Promise<OutboxUnderTest | undefined>;

export function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-outbox-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sqliteFactory: OutboxFactory = async (t) => {
  const outbox = new SqliteOutbox({ file: path.join(tempDir(t), 'service.db'), logger: silent });
  outbox.db.exec('CREATE TABLE aggregates (id TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const bump = outbox.db.prepare(
    'INSERT INTO aggregates (id, version) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET version = version + 1 RETURNING version',
  );
  const count = outbox.db.prepare(
    'SELECT sum(published_at IS NULL) AS unpublished, sum(published_at IS NOT NULL) AS published FROM herald_outbox',
  );
  const under: OutboxUnderTest = {
    store: outbox,
    write: (messages, options = {}) =>
      outbox.transaction((tx) => {
        for (const m of messages) tx.append(m);
        if (options.fail) throw new Error('rolled back on purpose');
      }),
    writeVersioned: (aggregateType, key) =>
      outbox.transaction((tx) => {
        const { version } = bump.get(key) as { version: number };
        tx.append({ aggregateType, aggregateId: key, type: 'bumped', payload: String(version), version });
        return version;
      }),
    counts: async () => {
      const row = count.get() as { unpublished: number | null; published: number | null };
      return { unpublished: row.unpublished ?? 0, published: row.published ?? 0 };
    },
    close: () => outbox.close(),
  };
  t.after(() => under.close());
  return under;
};

export const postgresFactory: OutboxFactory = async (t) => {
  const url = await postgresLocal(t);
  if (!url) return undefined;
  const outbox = new PostgresOutbox({ url, logger: silent });
  await outbox.migrate();
  await outbox.query('CREATE TABLE aggregates (id TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  const under: OutboxUnderTest = {
    store: outbox,
    write: (messages, options = {}) =>
      outbox.transaction(async (tx) => {
        for (const m of messages) await tx.append(m);
        if (options.fail) throw new Error('rolled back on purpose');
      }),
    writeVersioned: (aggregateType, key) =>
      outbox.transaction(async (tx) => {
        const { rows } = await tx.query<{ version: number }>(
          'INSERT INTO aggregates (id, version) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET version = aggregates.version + 1 RETURNING version',
          [key],
        );
        const version = rows[0].version;
        await tx.append({ aggregateType, aggregateId: key, type: 'bumped', payload: String(version), version });
        return version;
      }),
    counts: async () => {
      const { rows } = await outbox.query<{ unpublished: string; published: string }>(
        'SELECT count(*) FILTER (WHERE published_at IS NULL) AS unpublished, count(*) FILTER (WHERE published_at IS NOT NULL) AS published FROM herald_outbox',
      );
      return { unpublished: Number(rows[0].unpublished), published: Number(rows[0].published) };
    },
    close: () => outbox.close(),
  };
  // Registered after postgresLocal's drop: cleanups run in reverse, so the pool closes before the drop.
  t.after(() => under.close());
  return under;
};

/** A started embedded broker in a temp dir, stopped when the test ends. */
export async function embeddedBroker(t: TestContext, dataDir = tempDir(t)): Promise<Broker> {
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir, durability: 'os' });
  await broker.start();
  t.after(() => broker.stop());
  return broker;
}

export function uniqueTopic(prefix = 'outbox'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Every record of `topic`, partition by partition in offset order. */
export async function readTopic(broker: Broker, topic: string): Promise<BrokerRecord[]> {
  const info = await broker.admin.describeTopic(topic);
  const out: BrokerRecord[] = [];
  for (const p of info.partitions) {
    for (let offset = p.earliest; offset < p.latest; ) {
      const records = await broker.admin.read({ topic, partition: p.partition, offset }, 1000);
      if (records.length === 0) break;
      out.push(...records);
      offset = records.at(-1)!.offset + 1;
    }
  }
  return out;
}

/** Polls `condition` until true; the deadline only turns a hang into a failure naming what was awaited. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

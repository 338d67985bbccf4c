import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestContext } from 'node:test';
import { BULK_DIR } from '../../../../src/broker/embedded/bulk-store.ts';
import { DB_FILE } from '../../../../src/broker/embedded/store.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { uniqueName } from '../helpers.ts';
import { batch, produceBody, type TestRecord } from './batches.ts';
import { type ListeningBroker, listening } from './helpers.ts';
import { ApiKey, type RawClient } from './raw-client.ts';

/** `count` records of 1,000-byte values `<tag>-<i>-…` (80 make a batch kept in the bulk files), with a header on each when `headers`. */
export function records(tag: string, count: number, headers = false): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    value: `${tag}-${i}-`.padEnd(1_000, 'x'),
    headers: headers ? [['n', `${i}`]] : undefined,
  }));
}

/** Produces `sent` to partition 0 of `topic`; returns its base offset. */
export async function produce(client: RawClient, topic: string, sent: Buffer): Promise<number> {
  const answer = await client.request(ApiKey.Produce, 9, produceBody(topic, 0, sent));
  const p = answer.responses[0].partitionResponses[0];
  assert.equal(p.errorCode, KafkaError.NONE, `produce error ${p.errorCode}`);
  return Number(p.baseOffset);
}

/**
 * A broker with its Kafka listener, given a new one-partition topic (log 1) that received a batch of `count`
 * records (see {@link records}) for each `[tag, count]`, then stopped. `configs`: the topic's. Returns its data directory, the topic, and
 * what the topic held.
 */
export async function producedTo(
  t: TestContext,
  batches: [tag: string, count: number][],
  configs: Record<string, string> = {},
): Promise<{ dataDir: string; topic: string; expected: string[] }> {
  const first = await listening(t);
  const topic = uniqueName('bulk');
  await first.broker.admin.createTopic({ name: topic, partitions: 1, configs });
  const client = await first.connect();
  for (const [tag, count] of batches) await produce(client, topic, batch(records(tag, count)));
  const expected = await values(first.broker, topic);
  await first.broker.stop();
  return { dataDir: first.dataDir, topic, expected };
}

/**
 * Per row of the partition's table in herald.db: [last offset, length of its own bytes]; and the last offsets of
 * the batches in its bulk files, in the order they lie there.
 */
export function stored(dataDir: string, logId: number): { rows: [number, number][]; bulk: number[] } {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
  try {
    const rows = db.prepare(`SELECT last, length(b) AS n FROM log_${logId} ORDER BY last`).all() as { last: number; n: number }[];
    const bulk: number[] = [];
    for (const file of fs.existsSync(path.join(dataDir, BULK_DIR, String(logId))) ? segments(dataDir, logId) : []) {
      const bytes = fs.readFileSync(file);
      for (let at = 0; at < bytes.length; at += 12 + bytes.readInt32BE(at + 8)) bulk.push(Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + 23));
    }
    return { rows: rows.map((r) => [r.last, r.n]), bulk };
  } finally {
    db.close();
  }
}

/** The segment files of log `logId`, oldest first. */
export function segments(dataDir: string, logId: number): string[] {
  const dir = path.join(dataDir, BULK_DIR, String(logId));
  return fs.readdirSync(dir).sort().map((name) => path.join(dir, name));
}

/** `<offset>:<value without its padding>` of each record of partition 0 of `topic` from `from`. */
export async function values(broker: ListeningBroker['broker'], topic: string, from = 0): Promise<string[]> {
  const read = await broker.admin.read({ topic, partition: 0, offset: from }, 1_000);
  return read.map((r) => `${r.offset}:${r.value?.toString().replace(/-x+$/, '')}`);
}

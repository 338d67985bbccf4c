/**
 * SIGKILL under acknowledged load: writers produce numbered records per key through the admin API while Herald is
 * killed and restarted again and again; afterwards every acknowledged record must be in the topic, and each key's
 * records in the order they were sent (a retried request may repeat records, never reorder them).
 */
import type { ChaosOptions } from './options.ts';
import type { ProbeResult } from './report.ts';
import { chaosHerald, request } from './herald.ts';

const TOPIC = 'chaos-acked';
const PARTITIONS = 4;
const WRITERS = 8;
const KEYS_PER_WRITER = 4;
const BATCH = 10;

interface Writer {
  keys: string[];
  /** Next sequence number per key. */
  next: number[];
  /** Highest acknowledged sequence number per key (-1: none). */
  acked: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function killsProbe(workDir: string, result: ProbeResult, options: ChaosOptions): Promise<void> {
  const { herald } = chaosHerald(workDir, 'kills');
  let url = await herald.start();
  const created = await request(`${url}/admin/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: TOPIC, partitions: PARTITIONS }),
  });
  if (created?.status !== 201) throw new Error(`creating ${TOPIC}: ${created?.status} ${created?.text}`);

  const writers: Writer[] = Array.from({ length: WRITERS }, (_, w) => ({
    keys: Array.from({ length: KEYS_PER_WRITER }, (_, k) => `key-${w}-${k}`),
    next: new Array(KEYS_PER_WRITER).fill(0),
    acked: new Array(KEYS_PER_WRITER).fill(-1),
  }));
  let running = true;
  let acknowledged = 0;
  let failedRequests = 0;
  const write = async (writer: Writer) => {
    while (running) {
      const k = Math.floor(Math.random() * KEYS_PER_WRITER);
      const first = writer.next[k];
      const records = Array.from({ length: BATCH }, (_, i) => ({ key: writer.keys[k], value: String(first + i) }));
      let answer: Awaited<ReturnType<typeof request>>;
      try {
        answer = herald.url === undefined ? undefined : await request(`${herald.url}/admin/topics/${TOPIC}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(records),
        });
      } catch {
        answer = undefined; // refused or cut by the kill: unknown outcome, sent again below
      }
      if (answer?.status === 201) {
        writer.next[k] = first + BATCH;
        writer.acked[k] = first + BATCH - 1;
        acknowledged += BATCH;
      } else {
        failedRequests++;
        await sleep(50); // the same records again: a retry may repeat them, which the check allows
      }
    }
  };
  const load = Promise.all(writers.map(write));
  let kills = 0;
  try {
    for (; kills < options.kills; ) {
      await sleep(options.killEveryMs / 2 + Math.random() * (options.killEveryMs / 2));
      await herald.kill();
      kills++;
      url = await herald.start();
    }
    await sleep(options.killEveryMs / 2);
  } finally {
    running = false;
    await load;
  }
  result.figures.kills = kills;
  result.figures.acknowledged = acknowledged;
  result.figures['unknown outcomes retried'] = failedRequests;

  // Read everything back, partition by partition.
  const seen = new Map<string, number[]>();
  let read = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    let cursor: string | undefined;
    for (;;) {
      const query = cursor === undefined ? `partition=${partition}&offset=beginning` : `cursor=${encodeURIComponent(cursor)}`;
      const page = await request(`${url}/admin/topics/${TOPIC}/messages?${query}&limit=1000`);
      if (page?.status !== 200) throw new Error(`reading ${TOPIC}: ${page?.status} ${page?.text}`);
      const body = JSON.parse(page.text) as { records: { key: string; value: string }[]; next: string; more: boolean };
      for (const r of body.records) {
        let list = seen.get(r.key);
        if (list === undefined) seen.set(r.key, (list = []));
        list.push(Number(r.value));
      }
      read += body.records.length;
      if (!body.more || body.records.length === 0) break;
      cursor = body.next;
    }
  }
  await herald.stop();
  result.figures.read = read;
  let lost = 0;
  let reordered = 0;
  for (const writer of writers) {
    writer.keys.forEach((key, k) => {
      const values = seen.get(key) ?? [];
      // In order: each value is at most one above the highest so far (a repeat goes back, never skips ahead).
      let highest = -1;
      for (const v of values) {
        if (v > highest + 1) {
          reordered++;
          result.problems.push(`${key}: ${v} came after ${highest}`);
        }
        highest = Math.max(highest, v);
      }
      const present = new Set(values);
      for (let v = 0; v <= writer.acked[k]; v++) {
        if (!present.has(v)) {
          lost++;
          if (lost <= 10) result.problems.push(`${key}: acknowledged record ${v} is missing`);
        }
      }
    });
  }
  result.figures.lost = lost;
  result.figures['order violations'] = reordered;
}

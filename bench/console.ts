/**
 * The console at scale, on both brokers side by side: a `herald start notify` child per broker holding 1,000 topics
 * and one topic of millions of records; each console page that could grow with them is asked for `--samples` times,
 * one request at a time, and its answer time (p50 / p99) and size reported. Pages must never load a topic whole:
 * their time should not depend on the topic's length.
 *
 *   npm run bench -- console [--brokers embedded,kafka://127.0.0.1:9092] [--topics 1000] [--records 2000000]
 *                            [--samples 30]
 *
 * On Kafka the bench's topics are deleted afterwards.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startHeraldChild, summary } from './support/services.ts';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'embedded,kafka://127.0.0.1:9092' },
    topics: { type: 'string', default: '1000' },
    records: { type: 'string', default: '2000000' },
    samples: { type: 'string', default: '30' },
  },
});
const topicCount = Number(values.topics);
const recordCount = Number(values.records);
const samples = Number(values.samples);
const BATCH = 2_000;
const PARTITIONS = 3;

async function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? { accept: 'text/html' } : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

/** Runs `task` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

async function prepare(url: string, prefix: string) {
  const started = performance.now();
  const names = Array.from({ length: topicCount }, (_, i) => `${prefix}.t${String(i).padStart(4, '0')}`);
  await pool(names, 16, async (name) => {
    const created = await call(`${url}/admin/topics`, 'POST', { name, partitions: 1 });
    if (created.status !== 201) throw new Error(`creating ${name}: ${created.status} ${created.text}`);
  });
  const topicsSeconds = (performance.now() - started) / 1000;
  const big = `${prefix}.big`;
  await call(`${url}/admin/topics`, 'POST', { name: big, partitions: PARTITIONS });
  const fillStarted = performance.now();
  const batches = Array.from({ length: Math.ceil(recordCount / BATCH) }, (_, b) => b);
  await pool(batches, 8, async (b) => {
    const records = Array.from({ length: Math.min(BATCH, recordCount - b * BATCH) }, (_, i) => {
      const n = b * BATCH + i;
      return { key: `customer-${n % 10_000}`, value: JSON.stringify({ order: n, items: ['tea', 'bread'], total: n % 97 }), partition: n % PARTITIONS };
    });
    const produced = await call(`${url}/admin/topics/${big}/messages`, 'POST', records);
    if (produced.status !== 201) throw new Error(`producing: ${produced.status} ${produced.text.slice(0, 200)}`);
  });
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  return { names, big, topicsSeconds, fillSeconds };
}

async function timePage(url: string) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const answer = await call(url);
    times.push(performance.now() - started);
    if (answer.status !== 200) throw new Error(`${url}: ${answer.status} ${answer.text.slice(0, 200)}`);
    bytes = answer.text.length;
  }
  return { ...summary(times), kib: Math.round(bytes / 1024) };
}

for (const broker of values.brokers.split(',')) {
  const prefix = `cb${Date.now().toString(36)}`;
  const herald = await startHeraldChild('notify', ['--broker', broker, '--set', 'notify.role=api']);
  try {
    const prepared = await prepare(herald.url, prefix);
    const middle = Math.floor(recordCount / PARTITIONS / 2);
    const ends = Array.from({ length: PARTITIONS }, (_, p) => `${p}:${Math.floor(recordCount / PARTITIONS)}`).join(',');
    const pages: [string, string][] = [
      ['topics (all, with offsets)', '/console/topics'],
      ['big topic, newest first', `/console/topics/${prepared.big}`],
      ['big topic, partition 0 from its middle', `/console/topics/${prepared.big}?partition=0&offset=${middle}`],
      ['big topic, 50 before the end', `/console/topics/${prepared.big}?offset=-50`],
      ['big topic, by key (a scan bounded per page)', `/console/topics/${prepared.big}?key=customer-4242`],
      ['one message in the middle', `/console/topics/${prepared.big}/messages/0/${middle}`],
      ['follow live (tail.json after the newest)', `/console/topics/${prepared.big}/tail.json?cursor=${encodeURIComponent(ends)}`],
      ['a small topic', `/console/topics/${prepared.names[0]}`],
      ['consumer groups', '/console/groups'],
      ['dead-letter topics', '/console/dead-letters'],
    ];
    console.log(`${broker}: ${topicCount + 1} topics (created in ${prepared.topicsSeconds.toFixed(1)} s), ${recordCount} records in ` +
      `${prepared.big} (written in ${prepared.fillSeconds.toFixed(1)} s); load ${loadavg()[0]!.toFixed(1)}; ${samples} requests a page`);
    for (const [what, path] of pages) {
      const { p50, p99, kib } = await timePage(`${herald.url}${path}`);
      console.log(`  ${what.padEnd(46)} p50 ${String(p50).padStart(7)} ms   p99 ${String(p99).padStart(7)} ms   ${kib} KiB`);
    }
    if (broker !== 'embedded') {
      await pool([...prepared.names, prepared.big], 16, async (name) => {
        await call(`${herald.url}/admin/topics/${name}`, 'DELETE');
      });
    }
  } finally {
    await herald.stop();
  }
}

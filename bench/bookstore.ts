/**
 * The bookstore: `GET /api/books?q=` throughput with its search events (autocannon against a `herald start
 * bookstore` child, every service part in it) on SQLite and on PostgreSQL; search → reflected in `/trends`
 * (a unique query each probe, from the search's answer to `/trends` listing it first); `GET /trends` and
 * `GET /recommendations` latency under load after the searches.
 *
 *   npm run bench -- bookstore [--connections 50] [--duration 20] [--warmup 3] [--probes 300] [--only sqlite,postgres]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LOCAL_POSTGRES_URL } from '../scripts/postgres/layout.ts';
import { answers } from '../scripts/postgres/server.ts';
import { autocannon, scratchDatabase, startHeraldChild, summary } from './support/services.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    probes: { type: 'string', default: '300' },
    only: { type: 'string', default: 'sqlite,sqlite-uncached,postgres' },
  },
});
const parts = new Set(values.only!.split(','));
const results: Record<string, unknown> = {};
const WORDS = ['austen', 'dickens', 'war', 'love', 'sea', 'island', 'time', 'king', 'city', 'night', 'the', 'whale'];

async function searchThroughput(label: string, extra: string[]) {
  const server = await startHeraldChild('bookstore', ['--set', 'broker.kafkaListener.listen=off', ...extra]);
  try {
    // Reflection first, on a quiet server: each probe a query never seen, so it is the newest of count 1.
    const lags: number[] = [];
    for (let i = 0; i < Number(values.probes); i++) {
      const q = `probe${i}x`;
      const answered = await fetch(`${server.url}/api/books?q=${q}`, { headers: { cookie: `uid=u${i % 20}` } });
      await answered.arrayBuffer();
      const start = performance.now();
      for (;;) {
        const trends = (await (await fetch(`${server.url}/trends?ps=1`)).json()) as { query: string }[];
        if (trends[0]?.query === q) break;
        if (performance.now() - start > 10_000) throw new Error(`${q} not in /trends after 10 s`);
        await sleep(1);
      }
      lags.push(performance.now() - start);
    }
    results[`search-to-trends-${label}`] = summary(lags);

    let n = 0;
    const load = (seconds: number) =>
      autocannon({
        url: `${server.url}/api/books`,
        connections: Number(values.connections),
        duration: seconds,
        requests: [
          {
            method: 'GET',
            headers: {},
            setupRequest: (r) => {
              n++;
              return { ...r, path: `/api/books?q=${WORDS[n % WORDS.length]}`, headers: { cookie: `uid=u${n % 500}` } };
            },
          },
        ],
      });
    if (Number(values.warmup) > 0) await load(Number(values.warmup));
    const cpuBefore = server.cpuSeconds();
    const r = await load(Number(values.duration));
    const cpu = server.cpuSeconds() - cpuBefore;
    results[`search-${label}`] = {
      requestsPerSecond: r.requests.average,
      serverCpuMicrosPerRequest: Math.round((cpu / Math.max(1, r['2xx'])) * 1e6),
      serverCpuCores: Math.round((cpu / Number(values.duration)) * 100) / 100,
      latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
      ok200: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
    };
    await sleep(2_000); // the processors catch up with the searches before the reads are measured
    for (const [name, path] of [
      ['trends', '/trends?ps=10'],
      ['recommendations', '/recommendations?uid=u7'],
    ] as const) {
      const reads = await autocannon({
        url: `${server.url}${path}`,
        connections: 10,
        duration: 10,
        requests: [{ method: 'GET', headers: {}, setupRequest: (req) => req }],
      });
      results[`${name}-${label}`] = {
        requestsPerSecond: reads.requests.average,
        latencyMs: { p50: reads.latency.p50, p99: reads.latency.p99 },
        non2xx: reads.non2xx,
      };
    }
  } finally {
    await server.stop();
  }
}

if (parts.has('sqlite')) await searchThroughput('sqlite', []);
// The same with the cache of repeated searches off: what the cache is worth, side by side.
if (parts.has('sqlite-uncached')) await searchThroughput('sqlite-uncached', ['--set', 'bookstore.searchCache.entries=0']);
if (parts.has('postgres')) {
  if (await answers(process.env.HERALD_TEST_POSTGRES || LOCAL_POSTGRES_URL)) {
    const db = await scratchDatabase();
    try {
      await searchThroughput('postgres', ['--set', `bookstore.database.url=${db.url}`]);
    } finally {
      await db.drop();
    }
  } else {
    results.postgres = 'skipped: no PostgreSQL answers (npm run pg:up)';
  }
}
process.stdout.write(`${JSON.stringify({ benchmark: 'bookstore', connections: Number(values.connections), results }, null, 2)}\n`);

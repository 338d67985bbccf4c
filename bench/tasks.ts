/**
 * The tasks service: `POST /tasks` throughput (autocannon against a `herald start tasks` child) on SQLite and on
 * PostgreSQL; commit → published latency of the outbox relay (in process: a transaction's promise resolving,
 * i.e. durable, to the broker acknowledging the record); created → findable latency (201 answered to the task
 * first found by `POST /tasks/search` on the embedded index).
 *
 *   npm run bench -- tasks [--connections 50] [--duration 20] [--warmup 3] [--rate 2000] [--seconds 10]
 *                          [--probes 300] [--only sqlite,postgres,outbox,search]
 *
 * PostgreSQL parts use the local server (`npm run pg:up`; a fresh database, dropped afterwards) and are skipped
 * when it does not answer.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { LOCAL_POSTGRES_URL } from '../scripts/postgres/layout.ts';
import { answers } from '../scripts/postgres/server.ts';
import { createEmbeddedBroker } from '../src/broker/embedded/index.ts';
import { OutboxRelay, PostgresOutbox, SqliteOutbox } from '../src/outbox/index.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  '2xx': number;
  non2xx: number;
  errors: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: { method: string; headers: Record<string, string>; setupRequest(r: Record<string, unknown>): Record<string, unknown> }[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    probes: { type: 'string', default: '300' },
    only: { type: 'string', default: 'sqlite,postgres,outbox,search' },
  },
});
const parts = new Set(values.only!.split(','));
const results: Record<string, unknown> = {};
const postgresUp = await answers(process.env.HERALD_TEST_POSTGRES || LOCAL_POSTGRES_URL);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    samples: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/** A fresh database on the local PostgreSQL; `drop` removes it. */
async function scratchDatabase() {
  const server = process.env.HERALD_TEST_POSTGRES || LOCAL_POSTGRES_URL;
  const name = `herald_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A `herald start tasks` child on a fresh data dir; resolves with its URL and a stop function. */
async function startServer(extra: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-tasks-'));
  const child = spawn(
    process.execPath,
    ['bin/herald.ts', 'start', 'tasks', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra],
    { stdio: ['ignore', 'inherit', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk;
      const match = seen.match(/serving on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`herald exited (${code}) before serving:\n${seen}`)));
  });
  return {
    url,
    /** CPU seconds the server process has used so far (user + system), from /proc. */
    cpuSeconds: () => {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function createThroughput(label: string, extra: string[]) {
  const server = await startServer(extra);
  let n = 0;
  const load = (seconds: number) =>
    autocannon({
      url: `${server.url}/tasks`,
      connections: Number(values.connections),
      duration: seconds,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (r) => ({ ...r, body: JSON.stringify({ description: `bench task ${++n} water the plants`, priority: 'low' }) }),
        },
      ],
    });
  try {
    if (Number(values.warmup) > 0) await load(Number(values.warmup));
    const cpuBefore = server.cpuSeconds();
    const r = await load(Number(values.duration));
    const cpu = server.cpuSeconds() - cpuBefore;
    results[`create-${label}`] = {
      requestsPerSecond: r.requests.average,
      // The server's CPU per created task (HTTP, both writes, the relay's publish and the indexer's write): less
      // sensitive than req/s to other work on a shared machine.
      serverCpuMicrosPerRequest: Math.round((cpu / Math.max(1, r['2xx'])) * 1e6),
      serverCpuCores: Math.round((cpu / Number(values.duration)) * 100) / 100,
      latencyMs: r.latency,
      created201: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    await server.stop();
  }
}

/** Steady transactions through an outbox, each timed from its commit resolving to the broker acknowledging it. */
async function commitToPublished(label: string, outbox: SqliteOutbox | PostgresOutbox) {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-outbox-'));
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
  await broker.start();
  await broker.admin.createTopic({ name: 'tasks', partitions: 3 });
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  const relay = new OutboxRelay({
    store: outbox,
    producer: broker.producer(),
    logger: pino({ level: 'silent' }),
    onPublished: (rows, at) => {
      const now = performance.now();
      void at;
      for (const row of rows) {
        const start = committedAt.get(row.eventId);
        if (start !== undefined) lags.push(now - start);
      }
    },
  });
  await relay.start();
  const rate = Number(values.rate);
  const total = rate * Number(values.seconds);
  const started = performance.now();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const id = crypto.randomUUID();
    const message = { aggregateType: 'tasks', aggregateId: `task-${i % 500}`, type: 'tasks.event.created', payload: '{"type":"x"}', id };
    const write =
      outbox instanceof SqliteOutbox
        ? outbox.transaction((tx) => tx.append(message))
        : outbox.transaction((tx) => tx.append(message));
    writes.push(write.then(() => void committedAt.set(id, performance.now())));
  }
  await Promise.all(writes);
  const deadline = Date.now() + 30_000;
  while (lags.length < total && Date.now() < deadline) await sleep(20);
  await relay.stop();
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
  // Rows published before their transaction's promise settled (possible on PostgreSQL) count as 0 ms.
  results[`commit-to-published-${label}`] = { ratePerSecond: rate, ...summary(lags.map((x) => Math.max(0, x))) };
}

async function createdToFindable() {
  const server = await startServer([]);
  const samples: number[] = [];
  try {
    for (let i = 0; i < Number(values.probes); i++) {
      const word = `probe${randomBytes(6).toString('hex')}`;
      const response = await fetch(`${server.url}/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description: `find ${word} please` }),
      });
      if (response.status !== 201) throw new Error(`POST /tasks answered ${response.status}`);
      const created = performance.now();
      for (;;) {
        const found = (await (
          await fetch(`${server.url}/tasks/search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ description: word }),
          })
        ).json()) as { total: number };
        if (found.total === 1) break;
        if (performance.now() - created > 10_000) throw new Error(`${word} not findable after 10 s`);
        await sleep(1);
      }
      samples.push(performance.now() - created);
    }
  } finally {
    await server.stop();
  }
  results['created-to-findable-fts5'] = summary(samples);
}

if (parts.has('sqlite')) await createThroughput('sqlite', []);
if (parts.has('postgres') && postgresUp) {
  const db = await scratchDatabase();
  try {
    await createThroughput('postgres', ['--set', `tasks.database.url=${db.url}`, '--set', 'tasks.database.poolSize=50']);
  } finally {
    await db.drop();
  }
}
if (parts.has('outbox')) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-sqlite-'));
  const sqlite = new SqliteOutbox({ file: join(dir, 'outbox.db') });
  await commitToPublished('sqlite', sqlite);
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  if (postgresUp) {
    const db = await scratchDatabase();
    const outbox = new PostgresOutbox({ url: db.url, poolSize: 20 });
    try {
      await outbox.migrate();
      await commitToPublished('postgres', outbox);
    } finally {
      await outbox.close();
      await db.drop();
    }
  }
}
if (parts.has('search')) await createdToFindable();

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'tasks',
      connections: Number(values.connections),
      durationS: Number(values.duration),
      results,
      postgres: postgresUp ? 'local' : 'not running (skipped)',
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      node: process.version,
      date: new Date().toISOString(),
    },
    null,
    2,
  )}\n`,
);

/**
 * Pieces the service benchmarks share: autocannon, percentiles, a scratch PostgreSQL database and a `herald start`
 * child on a fresh data dir with its CPU use.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LOCAL_POSTGRES_URL } from '../../scripts/postgres/layout.ts';

export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  '2xx': number;
  non2xx: number;
  errors: number;
}
export type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  /** Requests a second over all connections; unlimited without. */
  overallRate?: number;
  requests: { method: string; headers: Record<string, string>; setupRequest(r: Record<string, unknown>): Record<string, unknown> }[];
}) => Promise<AutocannonResult>;
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/**
 * Starts counting this process's CPU — the load generator's, as autocannon runs here and shares the two cores with
 * the server measured; the function returned gives the µs of it per `count` requests since.
 */
export function loadGeneratorCpu(): (count: number) => number {
  const start = process.cpuUsage();
  return (count) => {
    const used = process.cpuUsage(start);
    return Math.round((used.user + used.system) / Math.max(1, count));
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
export function summary(samples: number[]) {
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
export async function scratchDatabase() {
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

/**
 * Node flags for a Herald child (here, and the delivery benches' `HeraldChild`): with `BENCH_CPU_PROF=<dir>` in the
 * environment, the child writes a V8 CPU profile into `<dir>` when it stops by SIGTERM — how the costs BENCHMARKS.md
 * names were found.
 */
export function heraldNodeFlags(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/**
 * A `herald start <service>` child on a fresh data dir (`service` `''`: every service, as `npm start`); resolves with
 * its URL, its CPU use and a stop function. Logs at warn unless `extra` says otherwise; `logs: 'discard'` sends its
 * log lines (stdout) to /dev/null instead of this terminal.
 */
export async function startHeraldChild(service: string, extra: string[], options: { logs?: 'show' | 'discard' } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `herald-bench-${service || 'all'}-`));
  const child = spawn(
    process.execPath,
    [...heraldNodeFlags(), 'bin/herald.ts', 'start', ...(service === '' ? [] : [service]), '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra],
    { stdio: ['ignore', options.logs === 'discard' ? 'ignore' : 'inherit', 'pipe'] },
  );
  const server = await serverChild(child);
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The yardstick server (bench/support/fastify-hello.ts: a bare fastify route at `/echo` parsing a JSON body) as a
 * child process, with its URL, its CPU use and a stop function. How fast it answers says how fast this machine's
 * HTTP handling is at the moment: on this VM its rate fell by half within a day while a pure CPU loop kept its time.
 */
export async function startHelloChild() {
  const child = spawn(process.execPath, ['bench/support/fastify-hello.ts'], { stdio: ['ignore', 'inherit', 'pipe'] });
  const server = await serverChild(child);
  return { ...server, url: `${server.url}/echo` };
}

/** A server child once it serves: its URL, its CPU use and a stop function (SIGTERM, then its exit). */
async function serverChild(child: ChildProcessByStdio<null, Readable | null, Readable>) {
  const url = await servingUrl(child);
  return {
    /** CPU seconds the server process has used so far (user + system), from /proc. */
    cpuSeconds: () => cpuSecondsOf(child),
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** The URL a server child prints as `serving on <url>` on stderr; rejects with what it printed if it exits first. */
export function servingUrl(child: ChildProcessByStdio<null, Readable | null, Readable>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk;
      const match = seen.match(/serving on (http:\/\/\S+)/);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.slice(1).join(' ')} exited (${code}) before serving:\n${seen}`)));
  });
}

/** CPU seconds a child process has used so far (user + system), from /proc. */
export function cpuSecondsOf(child: { pid?: number | undefined }): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The JSON of notify's `POST /api/v1/produce` for notification number `n` to `topic` (1,000 customers, keyed). */
export function notificationRequest(topic: string, n: number): string {
  return JSON.stringify({
    request_id: `bench-${n}`,
    topic_name: topic,
    message_body: 'Paid 120.50 EUR to ACME Corp',
    transaction_id: `txn-${n}`,
    email: 'customer@example.com',
    phone: '+14155550123',
    customer_id: `cust-${n % 1000}`,
    key: `cust-${n % 1000}`,
  });
}

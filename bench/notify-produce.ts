/**
 * Throughput and latency of notify's `POST /api/v1/produce`: one message per request, each answered 201 only once
 * the record is durable, driven by autocannon from this process against a `herald start notify` child.
 *
 *   npm run bench -- notify-produce [--broker embedded|kafka://host:port] [--connections 50] [--duration 20]
 *                                   [--warmup 3] [--role api|all]
 *
 * `--role api` (default) runs the produce API alone, as a dedicated API process would; `--role all` also runs the
 * email and SMS consumers (and the local sinks) in the server process. Each run writes a fresh topic, and afterwards
 * checks that the topic holds at least as many records as requests were answered 201.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { notificationRequest } from './support/services.ts';

/** The part of autocannon's programmatic API used here (the package ships no type declarations). */
interface AutocannonRequest {
  method: string;
  headers: Record<string, string>;
  setupRequest(request: Record<string, unknown>): Record<string, unknown>;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    broker: { type: 'string', default: 'embedded' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    role: { type: 'string', default: 'api' },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const topic = `bench-notify-${randomUUID().slice(0, 8)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-notify-'));

const server = spawn(
  process.execPath,
  [
    'bin/herald.ts',
    'start',
    'notify',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    '--broker',
    values.broker!,
    '--set',
    `notify.role=${values.role}`,
    '--set',
    `notify.subscriptions=${JSON.stringify({ email: [topic], sms: [topic] })}`,
    '--set',
    `notify.groupPrefix=${topic}`,
  ],
  { stdio: ['ignore', 'inherit', 'pipe'] },
);
const url = await new Promise<string>((resolve, reject) => {
  let seen = '';
  server.stderr.on('data', (chunk: Buffer) => {
    seen += chunk;
    const match = seen.match(/serving on (http:\/\/\S+)/);
    if (match) resolve(match[1]);
  });
  server.once('exit', (code) => reject(new Error(`herald exited (${code}) before serving:\n${seen}`)));
});

let sequence = 0;
const body = () => notificationRequest(topic, ++sequence);
const load = (seconds: number) =>
  autocannon({
    url: `${url}/api/v1/produce`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: body() }),
      },
    ],
  });

try {
  if (warmup > 0) await load(warmup);
  const result = await load(duration);
  const described = (await (await fetch(`${url}/admin/topics/${topic}`)).json()) as {
    partitions: { latest: number }[];
  };
  const stored = described.partitions.reduce((sum, p) => sum + p.latest, 0);
  const summary = {
    benchmark: 'notify-produce',
    broker: values.broker,
    role: values.role,
    connections,
    durationS: duration,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    created201: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    recordsInTopic: stored,
    durableCheck: stored >= result['2xx'] ? 'ok' : 'MISSING RECORDS',
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    node: process.version,
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  // The run's topic is of no further use; on a shared Kafka it would linger.
  await fetch(`${url}/admin/topics/${topic}`, { method: 'DELETE' });
  if (summary.durableCheck !== 'ok' || result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}

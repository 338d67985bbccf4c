/**
 * HTTP ingest at the limit, side by side in one run (each server a child process on the same two cores as the load
 * generator, one at a time):
 *
 * - `fastify hello`: a bare fastify route parsing a JSON body (bench/support/fastify-hello.ts) — the yardstick.
 * - `POST /api/v1/produce`, notify with only the API role (`notify.role=api`, logs at info to /dev/null).
 * - the same request against `npm start` as shipped: every service, info logs (to /dev/null), and the `--set` flags
 *   of package.json's `start` script (traces kept for the console, at most 100 new ones a second).
 * - `POST /publish/batch`, 100 events a request, delivery with no destinations (ingest alone); afterwards its topic
 *   is checked to hold every accepted event.
 *
 *   npm run bench -- ingest [--broker embedded|kafka://127.0.0.1:9092] [--connections 50] [--duration 15]
 *                           [--warmup 3] [--only hello,api,default,batch] [--rounds 1]
 *
 * With `--rounds N` the single-event servers run N times in turn (hello, API role, `npm start`, hello, …), and the
 * ratios are given per round and as medians: this machine's speed moves from minute to minute, and servers
 * measured minutes apart give ratios that move with it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { autocannon, loadGeneratorCpu, notificationRequest, startHeraldChild, startHelloChild } from './support/services.ts';

const { values } = parseArgs({
  options: {
    broker: { type: 'string', default: 'embedded' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: 'hello,api,default,batch' },
    rounds: { type: 'string', default: '1' },
  },
});
const parts = new Set(values.only!.split(','));
const connections = Number(values.connections);
const duration = Number(values.duration);
const BATCH = 100;

let sequence = 0;
const notification = () => notificationRequest('transactions', ++sequence);
const events = () =>
  JSON.stringify(
    Array.from({ length: BATCH }, () => {
      const n = ++sequence;
      return { userId: `user-${n % 1000}`, payload: { seq: n, amount: n % 997, note: 'order paid' } };
    }),
  );

async function load(url: string, body: () => string, seconds: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (r) => ({ ...r, body: body() }) }],
  });
}

/**
 * Warms up, then measures; requests/s, p50/p99 ms, the server's CPU per request and the load generator's (this
 * process, where autocannon runs) — together what a request costs the two cores.
 */
async function measure(label: string, url: string, body: () => string, cpuSeconds: () => number) {
  if (Number(values.warmup) > 0) await load(url, body, Number(values.warmup));
  const before = cpuSeconds();
  const generator = loadGeneratorCpu();
  const r = await load(url, body, duration);
  const cpu = cpuSeconds() - before;
  const ok = r['2xx'];
  const generated = generator(ok);
  const row = {
    label,
    requestsPerSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    serverCpuMicrosPerRequest: Math.round((cpu / Math.max(1, ok)) * 1e6),
    loadGeneratorCpuMicrosPerRequest: generated,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    load: loadavg()[0]!.toFixed(1),
  };
  console.log(JSON.stringify(row));
  return row;
}

const broker = ['--broker', values.broker!];
type Row = Awaited<ReturnType<typeof measure>>;
const rounds: { hello?: Row; api?: Row; default?: Row }[] = [];

for (let round = 0; round < Number(values.rounds); round++) {
  const results: (typeof rounds)[number] = {};
  rounds.push(results);
  if (parts.has('hello')) {
    const hello = await startHelloChild();
    try {
      results.hello = await measure('fastify hello (JSON body, 201)', hello.url, notification, hello.cpuSeconds);
    } finally {
      await hello.stop();
    }
  }

  if (parts.has('api')) {
    const herald = await startHeraldChild('notify', [...broker, '--log-level', 'info', '--set', 'notify.role=api'], { logs: 'discard' });
    try {
      results.api = await measure('notify API role, POST /api/v1/produce', `${herald.url}/api/v1/produce`, notification, herald.cpuSeconds);
    } finally {
      await herald.stop();
    }
  }

  if (parts.has('default')) {
    const herald = await startHeraldChild('', [...broker, '--log-level', 'info', ...shippedStartFlags()], { logs: 'discard' });
    try {
      results.default = await measure('npm start as shipped, POST /api/v1/produce', `${herald.url}/api/v1/produce`, notification, herald.cpuSeconds);
    } finally {
      await herald.stop();
    }
  }
}

if (parts.has('batch')) {
  const prefix = `ingest${Date.now().toString(36)}`;
  const herald = await startHeraldChild(
    'delivery',
    [...broker, '--log-level', 'info', '--set', 'delivery.destinations=[]', '--set', 'delivery.mocks=[]', '--set', `delivery.topicPrefix=${prefix}`, '--set', 'delivery.partitions=8'],
    { logs: 'discard' },
  );
  try {
    const before = await topicRecords(herald.url, `${prefix}.events`);
    const row = await measure(`POST /publish/batch (${BATCH} events a request)`, `${herald.url}/publish/batch`, events, herald.cpuSeconds);
    const stored = (await topicRecords(herald.url, `${prefix}.events`)) - before;
    const warmupRequests = stored - row.ok * BATCH;
    console.log(JSON.stringify({
      label: 'batch: events/s and the check',
      eventsPerSecond: row.requestsPerSecond * BATCH,
      acceptedInMeasurement: row.ok * BATCH,
      storedDuringRunIncludingWarmup: stored,
      everyAcceptedPresent: warmupRequests >= 0,
      serverCpuMicrosPerEvent: Math.round(row.serverCpuMicrosPerRequest / BATCH * 100) / 100,
    }));
  } finally {
    await herald.stop();
  }
}

/** The `--set` flags of package.json's `start` script: `npm start` as shipped. */
function shippedStartFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  return [...scripts.start.matchAll(/--set (\S+)/g)].flatMap((m) => ['--set', m[1]!]);
}

async function topicRecords(url: string, topic: string): Promise<number> {
  const answer = await fetch(`${url}/admin/topics/${topic}`);
  if (!answer.ok) return 0;
  const info = (await answer.json()) as { partitions: { earliest: number; latest: number }[] };
  return info.partitions.reduce((sum, p) => sum + p.latest - p.earliest, 0);
}

/** Each round's ratio of `over` to `under` and their median, printed against the target. */
function ratios(label: string, over: keyof (typeof rounds)[number], under: keyof (typeof rounds)[number], target: number): void {
  const each = rounds.flatMap((r) => (r[over] && r[under] ? [r[over].requestsPerSecond / r[under].requestsPerSecond] : []));
  if (each.length === 0) return;
  const sorted = [...each].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const rounded = each.map((r) => r.toFixed(2)).join(' / ');
  console.log(`${label}: ${median.toFixed(2)}${each.length > 1 ? ` (median of ${rounded})` : ''} (target ≥ ${target})`);
}

ratios('API role ÷ fastify hello', 'api', 'hello', 0.5);
ratios('npm start ÷ API role', 'default', 'api', 0.75);
ceiling();

/**
 * A model, not a measurement: the ratio `npm start` would reach if its work (every thread) and the load generator's
 * kept both cores busy — its consumers on a core of their own, with no cost for handing work between threads. An
 * upper bound for what moving work off the HTTP thread can give on this machine.
 */
function ceiling(): void {
  const each = rounds.flatMap((r) => {
    if (!r.default || !r.api) return [];
    const perRequest = r.default.serverCpuMicrosPerRequest + r.default.loadGeneratorCpuMicrosPerRequest;
    return [(cpus().length * 1e6) / perRequest / r.api.requestsPerSecond];
  });
  if (each.length === 0) return;
  console.log(`npm start ÷ API role with both cores busy (model): ${each.map((r) => r.toFixed(2)).join(' / ')}`);
}

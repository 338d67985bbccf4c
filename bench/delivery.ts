/**
 * The delivery pipeline under sustained load, and its isolation between destinations:
 *
 *   npm run bench -- delivery [--rate 5000] [--users 1000] [--batch 100] [--latency 50] [--failure 0.1]
 *                             [--warmup 10] [--steady 30] [--outage 60] [--recovery 120] [--broker URL]
 *                             [--partitions 8] [--durability fsync|os] [--log-level warn] [--concurrency 1024]
 *
 * Herald (`bin/herald.ts start delivery`) runs as a child process delivering to two destinations served by this
 * process (minimal HTTP responders, `lean-http-server.ts`, so that they take little of the machine Herald runs on),
 * both answering after `--latency` ms; `flaky` fails `--failure` of its attempts with 500, `steady` none.
 * Events are published with `POST /publish/batch` at `--rate` events/s, from `--users` users, each user's events
 * strictly in sequence. Phases: warm-up; steady (ingest and delivery rates, accept-to-delivered latency); outage
 * (`flaky` resets every connection for `--outage` s while ingest goes on: the steady destination's throughput and
 * latency must not change); recovery (until `flaky` has caught up, at most `--recovery` s).
 *
 * Latency is from the 202 of the publish request to the destination's 2xx (so it includes the destination's own
 * latency). Order is checked per user and destination on first receipts.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { HeraldChild } from '../tools/shared/herald-child.ts';
import { heraldNodeFlags } from './support/services.ts';
import { leanHttpServer } from './lean-http-server.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    users: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    latency: { type: 'string', default: '50' },
    failure: { type: 'string', default: '0.1' },
    warmup: { type: 'string', default: '10' },
    steady: { type: 'string', default: '30' },
    outage: { type: 'string', default: '60' },
    recovery: { type: 'string', default: '120' },
    broker: { type: 'string', default: 'embedded' },
    partitions: { type: 'string', default: '8' },
    durability: { type: 'string', default: 'fsync' },
    'log-level': { type: 'string', default: 'warn' },
    concurrency: { type: 'string', default: '1024' },
  },
});
const rate = Number(values.rate);
const users = Number(values.users);
const batchSize = Number(values.batch);
const latencyMs = Number(values.latency);
const phases = {
  warmup: Number(values.warmup) * 1000,
  steady: Number(values.steady) * 1000,
  outage: Number(values.outage) * 1000,
  recovery: Number(values.recovery) * 1000,
};
const capacity = Math.ceil((rate * (phases.warmup + phases.steady + phases.outage) * 1.2) / 1000) + batchSize;

/** Per-event facts, indexed by the event number `k` carried in the payload. */
const acceptedAt = new Float64Array(capacity);
let accepted = 0;
/**
 * Event numbers handed out so far. Never reused: a refused batch may still have been written (a refusal only says
 * the write is not known to be durable), and its events then arrive beside later ones.
 */
let issued = 0;
/** HTTP statuses (or `error`) of refused batches, and how many. */
const refusals = new Map<string, number>();

/** A destination server recording first receipts compactly (no per-event objects: millions of events). */
class BenchDestination {
  readonly firstAt = new Float64Array(capacity);
  readonly lastSeq = new Int32Array(users).fill(-1);
  delivered = 0;
  duplicates = 0;
  orderViolations = 0;
  requests = 0;
  down = false;
  readonly server: net.Server;

  readonly name: string;
  readonly failureRate: number;

  constructor(name: string, failureRate: number) {
    this.name = name;
    this.failureRate = failureRate;
    this.server = leanHttpServer((body, reply) => {
      this.requests += 1;
      if (this.down) return reply('reset');
      setTimeout(() => {
        if (Math.random() < this.failureRate) return reply(500);
        const { payload } = JSON.parse(body.toString()) as { payload: { k: number; u: number; s: number } };
        this.record(payload.k, payload.u, payload.s);
        reply(200);
      }, latencyMs);
    });
  }

  record(k: number, u: number, s: number): void {
    if (this.firstAt[k] !== 0) {
      this.duplicates += 1;
      return;
    }
    this.firstAt[k] = performance.now();
    this.delivered += 1;
    if (s < this.lastSeq[u]) this.orderViolations += 1;
    else this.lastSeq[u] = s;
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
  }
}

const flaky = new BenchDestination('flaky', Number(values.failure));
const steady = new BenchDestination('steady', 0);
const destinationConfig = (id: string, url: string) => ({
  id,
  url,
  timeoutMs: 5_000,
  maxAttempts: 100_000,
  maxAgeMs: 3_600_000,
  // The default backoff (200 ms doubling to 30 s, jittered): what a destination gets unless configured otherwise.
  // Requests in flight: a slot is held from the request's start to its answer being handled on the event loop
  // (~80 ms here for a 50 ms destination), so 512 slots capped a destination at ~6,300 events/s (Little's law).
  concurrency: Number(values.concurrency),
});
const base = mkdtempSync(path.join(tmpdir(), 'herald-bench-delivery-'));
const herald = new HeraldChild({
  dataDir: path.join(base, 'data'),
  nodeFlags: heraldNodeFlags(),
  config: {
    log: { level: values['log-level'] },
    broker: { url: values.broker, durability: values.durability },
    delivery: {
      topic_prefix: `bench${Date.now().toString(36)}`,
      partitions: Number(values.partitions),
      batch_max_events: Math.max(batchSize, 500),
      mocks: [],
      destinations: [
        destinationConfig('flaky', await flaky.listen()),
        destinationConfig('steady', await steady.listen()),
      ],
    },
  },
});
// An interrupted run must not leave Herald running or its data behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void herald.kill().finally(() => {
      rmSync(base, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
const url = await herald.start();
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Users whose previous event is acknowledged: each user has at most one event in flight, so order is known. */
const idle: number[] = Array.from({ length: users }, (_, u) => u);
const nextSeq = new Int32Array(users);
let inFlight = 0;
let refused = 0;

function publishBatch(): void {
  const batch: { userId: string; payload: { k: number; u: number; s: number } }[] = [];
  while (batch.length < batchSize && idle.length > 0 && issued + batch.length < capacity) {
    const u = idle.shift()!;
    batch.push({ userId: `user-${u}`, payload: { k: -1, u, s: nextSeq[u]++ } });
  }
  if (batch.length === 0) return;
  for (const e of batch) e.payload.k = issued++;
  inFlight += batch.length;
  const body = JSON.stringify(batch);
  const req = http.request(`${url}/publish/batch`, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  req.on('response', (res) => {
    res.resume();
    res.on('end', () => {
      inFlight -= batch.length;
      const now = performance.now();
      if (res.statusCode === 202) {
        for (const e of batch) acceptedAt[e.payload.k] = now;
        accepted += batch.length;
      } else {
        refused += batch.length;
        refusals.set(String(res.statusCode), (refusals.get(String(res.statusCode)) ?? 0) + 1);
      }
      for (const e of batch) idle.push(e.payload.u);
    });
  });
  req.on('error', (err: NodeJS.ErrnoException) => {
    inFlight -= batch.length;
    refused += batch.length;
    refusals.set(err.code ?? 'error', (refusals.get(err.code ?? 'error') ?? 0) + 1);
    for (const e of batch) idle.push(e.payload.u);
  });
  req.end(body);
}

/** Publishes at `rate` until `until` (performance.now()), catching up on ticks missed under load. */
async function ingest(until: number, started: number, sentBefore: number): Promise<void> {
  while (performance.now() < until) {
    const due = sentBefore + ((performance.now() - started) * rate) / 1000;
    while (accepted + inFlight < due && idle.length > 0 && inFlight < 32 * batchSize) publishBatch();
    await sleep(5);
  }
}

/** CPU seconds (user + system) the Herald child has used so far, from /proc (Linux); NaN elsewhere. */
function heraldCpuSeconds(): number {
  try {
    const stat = readFileSync(`/proc/${herald.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function benchCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

interface Sample {
  at: number;
  accepted: number;
  flaky: number;
  steady: number;
  cpu: number;
  /** CPU seconds this process (load generator and destinations) has used. */
  benchCpu: number;
}
const samples: Sample[] = [];
const sampler = setInterval(() => {
  samples.push({
    at: performance.now(),
    accepted,
    flaky: flaky.delivered,
    steady: steady.delivered,
    cpu: heraldCpuSeconds(),
    benchCpu: benchCpuSeconds(),
  });
}, 1000);

function window(from: number, to: number) {
  const a = samples.find((s) => s.at >= from) ?? samples[0];
  const b = [...samples].reverse().find((s) => s.at <= to) ?? samples[samples.length - 1];
  const seconds = (b.at - a.at) / 1000;
  return {
    seconds,
    ingest: (b.accepted - a.accepted) / seconds,
    flaky: (b.flaky - a.flaky) / seconds,
    steady: (b.steady - a.steady) / seconds,
    /** Share of one core the Herald process used. */
    cpu: (b.cpu - a.cpu) / seconds,
    /** Share of one core the load generator and destinations used. */
    benchCpu: (b.benchCpu - a.benchCpu) / seconds,
  };
}

function latencies(destination: BenchDestination, from: number, to: number) {
  const values: number[] = [];
  for (let k = 0; k < issued && k < capacity; k++) {
    const at = acceptedAt[k];
    if (at < from || at >= to || at === 0) continue;
    const first = destination.firstAt[k];
    if (first !== 0) values.push(Math.max(0, first - at));
  }
  values.sort((x, y) => x - y);
  const pick = (q: number) =>
    values.length === 0 ? Number.NaN : values[Math.min(values.length - 1, Math.floor(q * values.length))];
  return { count: values.length, p50: pick(0.5), p99: pick(0.99) };
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
const say = (line: string) => process.stdout.write(`${line}\n`);
say(
  `delivery bench: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, broker ${values.broker}`,
);
say(
  `rate ${rate}/s, ${users} users, batches of ${batchSize}, ` +
    `destinations ${latencyMs} ms, flaky fails ${values.failure}`,
);

const t0 = performance.now();
const steadyFrom = t0 + phases.warmup;
const outageFrom = steadyFrom + phases.steady;
const outageTo = outageFrom + phases.outage;
await ingest(outageFrom, t0, 0);
say(`steady phase done; flaky goes down for ${phases.outage / 1000} s`);
flaky.down = true;
await ingest(outageTo, t0, 0);
flaky.down = false;
say('flaky is back; waiting for it to catch up');
const recoveryDeadline = performance.now() + phases.recovery;
while ((flaky.delivered < accepted || steady.delivered < accepted) && performance.now() < recoveryDeadline)
  await sleep(250);
const caughtUpAfter = (performance.now() - outageTo) / 1000;
clearInterval(sampler);
samples.push({
  at: performance.now(),
  accepted,
  flaky: flaky.delivered,
  steady: steady.delivered,
  cpu: heraldCpuSeconds(),
  benchCpu: benchCpuSeconds(),
});

const calm = window(steadyFrom, outageFrom);
// The outage's first seconds, while `flaky`'s connections fail, belong to neither phase: 5 s, or half a short one.
const stormFrom = outageFrom + Math.min(5_000, phases.outage / 2);
const storm = window(stormFrom, outageTo);
// Events accepted in the last seconds before the outage may still be on their way to `flaky` when it goes down;
// they belong to neither phase's latency.
const calmTo = outageFrom - 5_000;
const calmLatency = { flaky: latencies(flaky, steadyFrom, calmTo), steady: latencies(steady, steadyFrom, calmTo) };
const stormLatency = latencies(steady, stormFrom, outageTo);
const change = ((storm.steady - calm.steady) / calm.steady) * 100;
const pct = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}%`;
const lagAtOutageEnd = samples.find((x) => x.at >= outageTo) ?? samples[samples.length - 1];
const report = [
  '',
  `steady phase: Herald CPU ${(calm.cpu * 100).toFixed(0)}% of a core, ` +
    `${fmt((calm.cpu / calm.ingest) * 1e6)} µs per accepted event; ` +
    `load generator and destinations ${(calm.benchCpu * 100).toFixed(0)}%`,
  `steady phase (${calm.seconds.toFixed(0)} s): ingest ${fmt(calm.ingest)} ev/s; ` +
    `delivered flaky ${fmt(calm.flaky)} ev/s, steady ${fmt(calm.steady)} ev/s`,
  `  accept→delivered flaky  p50 ${fmt(calmLatency.flaky.p50)} ms, p99 ${fmt(calmLatency.flaky.p99)} ms ` +
    `(${calmLatency.flaky.count} events)`,
  `  accept→delivered steady p50 ${fmt(calmLatency.steady.p50)} ms, p99 ${fmt(calmLatency.steady.p99)} ms ` +
    `(${calmLatency.steady.count} events)`,
  `outage phase (${storm.seconds.toFixed(0)} s, flaky down): ingest ${fmt(storm.ingest)} ev/s; ` +
    `steady delivered ${fmt(storm.steady)} ev/s (${pct(change)} vs steady phase); ` +
    `Herald CPU ${(storm.cpu * 100).toFixed(0)}%, load generator and destinations ${(storm.benchCpu * 100).toFixed(0)}%`,
  `  accept→delivered steady p50 ${fmt(stormLatency.p50)} ms, p99 ${fmt(stormLatency.p99)} ms`,
  `  steady's backlog when the outage ended: ${lagAtOutageEnd.accepted - lagAtOutageEnd.steady} events`,
  `recovery: flaky ${flaky.delivered}/${accepted} delivered ${caughtUpAfter.toFixed(0)} s after the outage ended`,
  `accepted ${accepted}, refused ${refused}${refusals.size > 0 ? ` (batches: ${[...refusals].map(([why, n]) => `${why} ×${n}`).join(', ')})` : ''}; duplicates flaky ${flaky.duplicates}, steady ${steady.duplicates}; ` +
    `order violations flaky ${flaky.orderViolations}, steady ${steady.orderViolations}`,
];
for (const line of report) say(line);
say(`isolation (steady throughput change < 10%): ${Math.abs(change) < 10 ? 'PASS' : 'FAIL'}`);

agent.destroy();
await herald.stop();
flaky.server.close();
steady.server.close();
rmSync(base, { recursive: true, force: true });

/**
 * The wallet service on both brokers, side by side in one run: `POST /api/deposit` throughput (50 connections, each
 * answer only once the deposit is durable), then deposit answered → visible in `GET /api/check` under half that
 * load (a probe deposits into a wallet of its own, then checks it and times the check until it shows the deposit).
 * Each broker gets a `herald start wallet` child (API and the three processors in one process, the default start).
 *
 *   npm run bench -- wallet [--brokers embedded,kafka://127.0.0.1:9092] [--connections 50] [--duration 15]
 *                           [--probes 500] [--settle 3] [--wallets 10000] [--split] [--half-rate N] [--yardstick 5]
 *
 * `--wallets`: how many wallets the load deposits into (round robin).
 *
 * `--settle`: seconds the half load runs before the probes start, so that they see the steady state of that load
 * rather than the processors still catching up with the full load before it (probes started at once measured a
 * p50 half again as high on Kafka).
 *
 * `--split`: on Kafka, the API (`wallet.role=api`) and the processors (`wallet.role=processors`) run as two processes
 * (the embedded broker belongs to one process, so there it stays one).
 *
 * `--half-rate`: the background load of the visibility probes in deposits/s, instead of half the throughput just
 * measured — so that runs of two versions compare at the same load (the measured throughput moves by up to 20%
 * between identical runs on a shared 2-core machine, and the p50 moves with the load).
 *
 * `--yardstick`: seconds of a bare fastify route (bench/support/fastify-hello.ts) under the same 50 connections
 * before the wallet runs, reported as `yardstick` (0: none) — how fast this machine handles HTTP at the moment. On
 * this VM it answered 30,000–44,000 requests/s on 2026-12-05 and early on 2026-12-06, and 17,000–20,000 at 11:30
 * that day; every target moved with it.
 *
 * Each result also gives `cpuMicrosPerDeposit` at full load: Herald's processes and the load generator (autocannon,
 * in this process), which share the two cores — on a slow hour of this VM autocannon took ~50 µs a request, as
 * much as the bare route it drove.
 *
 * With `BENCH_CPU_PROF=<dir>` in the environment, each Herald child writes a V8 CPU profile into `<dir>` (it is then
 * stopped by SIGTERM rather than killed); so do the children of the ingest, tasks, bookstore and console benches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autocannon, cpuSecondsOf, heraldNodeFlags, loadGeneratorCpu, servingUrl, startHelloChild } from './support/services.ts';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'embedded,kafka://127.0.0.1:9092' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '15' },
    probes: { type: 'string', default: '500' },
    settle: { type: 'string', default: '3' },
    wallets: { type: 'string', default: '10000' },
    split: { type: 'boolean', default: false },
    'half-rate': { type: 'string' },
    yardstick: { type: 'string', default: '5' },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const probes = Number(values.probes);
const settle = Number(values.settle);
const wallets = Number(values.wallets);
const halfRate = values['half-rate'] === undefined ? undefined : Number(values['half-rate']);
if (halfRate !== undefined && !(Number.isInteger(halfRate) && halfRate > 0)) {
  throw new Error(`--half-rate must be a whole number of deposits a second above 0, not ${values['half-rate']}`);
}

async function startWallet(
  broker: string,
  dataDir: string,
  prefix: string,
  role: string,
): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(
    process.execPath,
    [...heraldNodeFlags(), 'bin/herald.ts', 'start', 'wallet', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn',
      '--broker', broker, '--set', `wallet.prefix=${prefix}`, '--set', `wallet.role=${role}`],
    { stdio: ['ignore', 'inherit', 'pipe'] },
  );
  const url = await servingUrl(server);
  return { server, url };
}

let sequence = 0;
const deposits = (url: string, seconds: number, rate?: number) =>
  autocannon({
    url: `${url}/api/deposit`,
    connections,
    duration: seconds,
    overallRate: rate,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (r) => ({ ...r, body: JSON.stringify({ wallet_id: `load-${++sequence % wallets}`, amount: 12.34 }) }),
    }],
  });

/** Deposit answered → the check that shows it answered, in ms, for `probes` probes, 5 at a time. */
async function visibility(url: string): Promise<{ p50: number; p99: number; max: number; notVisible: number }> {
  const times: number[] = [];
  let notVisible = 0;
  const probe = async (n: number) => {
    const wallet = `probe-${n}-${randomUUID().slice(0, 8)}`;
    const answer = await fetch(`${url}/api/deposit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ wallet_id: wallet, amount: 1.5 }),
    });
    if (answer.status !== 200) throw new Error(`deposit answered ${answer.status}`);
    const answered = performance.now();
    const check = (await (await fetch(`${url}/api/check/${wallet}`)).json()) as { balance: number };
    times.push(performance.now() - answered);
    if (check.balance !== 1.5) notVisible += 1;
  };
  for (let n = 0; n < probes; n += 5) await Promise.all([0, 1, 2, 3, 4].map((i) => probe(n + i)));
  times.sort((a, b) => a - b);
  const at = (q: number) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2));
  return { p50: at(0.5), p99: at(0.99), max: at(1), notVisible };
}

/** The yardstick's rate and CPU a request, after a second to warm up (see `--yardstick`). */
async function yardstick(seconds: number) {
  const hello = await startHelloChild();
  try {
    const run = (duration: number) =>
      autocannon({
        url: hello.url,
        connections,
        duration,
        requests: [{
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (r) => ({ ...r, body: JSON.stringify({ wallet_id: 'yardstick', amount: 12.34 }) }),
        }],
      });
    await run(1);
    const before = hello.cpuSeconds();
    const generator = loadGeneratorCpu();
    const r = await run(seconds);
    const generated = generator(r['2xx']);
    return {
      helloRequestsPerSecond: Math.round(r.requests.average),
      helloServerCpuMicrosPerRequest: Math.round(((hello.cpuSeconds() - before) / Math.max(1, r['2xx'])) * 1e6),
      loadGeneratorCpuMicrosPerRequest: generated,
    };
  } finally {
    await hello.stop();
  }
}

const yardstickSeconds = Number(values.yardstick);
const measuredYardstick = yardstickSeconds > 0 ? await yardstick(yardstickSeconds) : undefined;
const results = [];
for (const broker of values.brokers!.split(',')) {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-wallet-'));
  const prefix = `bench${randomUUID().slice(0, 8)}.`;
  const split = values.split === true && broker !== 'embedded';
  const processors = split ? await startWallet(broker, join(dataDir, 'processors'), prefix, 'processors') : undefined;
  const { server, url } = await startWallet(broker, dataDir, prefix, split ? 'api' : 'all');
  try {
    await deposits(url, 3);
    const heraldCpu = () => cpuSecondsOf(server) + (processors ? cpuSecondsOf(processors.server) : 0);
    const heraldBefore = heraldCpu();
    const generator = loadGeneratorCpu();
    const load = await deposits(url, duration);
    const generated = generator(load['2xx']);
    const heraldUsed = heraldCpu() - heraldBefore;
    const rate = halfRate ?? Math.floor(load.requests.average / 2);
    const background = deposits(url, 10_000, rate);
    await new Promise((resolve) => setTimeout(resolve, settle * 1000));
    const visible = await visibility(url);
    // autocannon stops at its duration only; ending the process ends the background load below.
    void background.catch(() => {});
    results.push({
      broker,
      processes: split ? 'api + processors' : 'one',
      depositsPerSecond: load.requests.average,
      depositLatencyMs: { p50: load.latency.p50, p99: load.latency.p99, max: load.latency.max },
      // What a deposit costs the two cores at full load: Herald's processes, and autocannon in this process.
      cpuMicrosPerDeposit: {
        herald: Math.round((heraldUsed / Math.max(1, load['2xx'])) * 1e6),
        loadGenerator: generated,
      },
      non2xx: load.non2xx,
      errors: load.errors,
      visibleUnderLoad: { backgroundRate: rate, ...visible },
      loadavg1: Number(loadavg()[0].toFixed(2)),
    });
  } finally {
    for (const child of [server, processors?.server]) {
      if (child === undefined) continue;
      // SIGTERM when profiling: a child killed outright writes no profile.
      child.kill(heraldNodeFlags().length > 0 ? 'SIGTERM' : 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
process.stdout.write(`${JSON.stringify({ benchmark: 'wallet', connections, durationS: duration, probes, settleS: settle, wallets,
  yardstick: measuredYardstick, results,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`, node: process.version, date: new Date().toISOString() }, null, 2)}\n`);
process.exit(0);

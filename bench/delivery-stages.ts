/**
 * CPU per event of each stage of the delivery pipeline, the input of a capacity model:
 *
 *   npm run bench -- delivery-stages [--broker kafka://127.0.0.1:9092] [--events 200000] [--partitions 8]
 *                                    [--users 1000] [--batch 100] [--pad 100] [--broker-pids PID,…]
 *
 * Each stage runs alone in a `herald start delivery` child (one after the other, on one data dir and one topic
 * prefix), as fast as it goes, and its CPU is read per thread from /proc (Linux):
 *
 * 1. ingest — no destinations: `POST /publish/batch`, `--batch` events a request, each user's events in sequence;
 * 2. transform — one destination its sender cannot reach and retries only after an hour, so that the sender takes
 *    at most 2,000 records a partition and pauses: the transformer drains the source topic into the destination's;
 * 3. send — the same destination, reachable (a minimal server answering 200 at once): the transformer has nothing
 *    left, the sender drains the destination topic (HTTP on the posting thread, statuses on the status thread).
 *
 * CPU is counted from the moment a stage has done 10% of the events to its end (JIT warm-up and group joins left
 * out). `--broker-pids`: the local broker's processes (Kafka's JVMs), whose CPU is counted over the same windows,
 * less what they used while idle (measured for 10 s before the stages: heartbeats, the controller, other clients).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { generateLoad } from '../tools/delivery-check/load.ts';
import { HeraldChild } from '../tools/shared/herald-child.ts';
import { heraldNodeFlags } from './support/services.ts';
import { leanHttpServer } from './lean-http-server.ts';

const { values } = parseArgs({
  options: {
    broker: { type: 'string', default: 'kafka://127.0.0.1:9092' },
    events: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '8' },
    users: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    pad: { type: 'string', default: '100' },
    'broker-pids': { type: 'string', default: '' },
  },
});
const users = Number(values.users);
const eventsPerUser = Math.ceil(Number(values.events) / users);
const total = users * eventsPerUser;
const batchUsers = Number(values.batch);
const brokerPids = values['broker-pids'].split(',').filter((pid) => pid !== '');
const brokerCpu = () => brokerPids.reduce((sum, pid) => sum + processCpu(pid), 0);
/** Cores the broker's processes use with no stage running. */
let brokerIdleCores = 0;
const prefix = `stages${Date.now().toString(36)}`;
const source = `${prefix}.events`;
const destinationTopic = `${prefix}.bench`;

/** CPU seconds of one process (every thread, exited ones too) from /proc/<pid>/stat. */
function processCpu(pid: number | string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds per thread name of a running process: `MainThread`, `delivery postin` and `delivery status` (the
 * posting and status threads, names cut to 15 bytes), `V8Worker` (V8's GC and compiler helpers), libuv's pool….
 */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(name, (out.get(name) ?? 0) + processCpu(`${pid}/task/${tid}`));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

interface CpuSnapshot {
  at: number;
  done: number;
  herald: number;
  threads: Map<string, number>;
  broker: number;
}

function snapshot(herald: HeraldChild, done: number): CpuSnapshot {
  return {
    at: performance.now(),
    done,
    herald: processCpu(herald.pid!),
    threads: threadCpu(herald.pid!),
    broker: brokerCpu(),
  };
}

const THREADS: [string, string][] = [
  ['MainThread', 'main'],
  ['delivery postin', 'posting'],
  ['delivery status', 'status'],
  ['V8Worker', 'V8 helpers (GC, compiler)'],
];

/** Polls `progress` until it reaches `target`; throws when it has not moved for a minute (a broker gone, say). */
async function until(progress: () => Promise<number>, target: number): Promise<number> {
  let last = -1;
  let movedAt = performance.now();
  for (;;) {
    const done = await progress();
    if (done >= target) return done;
    if (done !== last) [last, movedAt] = [done, performance.now()];
    if (performance.now() - movedAt > 60_000) throw new Error(`stalled at ${done} of ${target} for a minute`);
    await sleep(200);
  }
}

/** Measures `herald` from 10% of `total` events done (`progress`) to all done, then awaits `work`; prints a line. */
async function measure(label: string, herald: HeraldChild, progress: () => Promise<number>, work?: Promise<unknown>) {
  const from = snapshot(herald, await until(progress, total * 0.1));
  const to = snapshot(herald, await until(progress, total));
  await work;
  const events = to.done - from.done;
  const seconds = (to.at - from.at) / 1000;
  const micros = (cpu: number) => ((cpu / events) * 1e6).toFixed(1);
  const known = THREADS.map(([name, short]) => {
    const cpu = (to.threads.get(name) ?? 0) - (from.threads.get(name) ?? 0);
    return { short, cpu };
  });
  const other = to.herald - from.herald - known.reduce((sum, k) => sum + k.cpu, 0);
  const line =
    `${label}: ${events} events in ${seconds.toFixed(1)} s = ${(events / seconds).toFixed(0)} events/s; ` +
    `Herald ${((to.herald - from.herald) / seconds).toFixed(2)} cores, ${micros(to.herald - from.herald)} µs/event ` +
    `(${known.map((k) => `${k.short} ${micros(k.cpu)}`).join(', ')}, other threads ${micros(other)})` +
    (brokerPids.length > 0 ? `; broker ${micros(to.broker - from.broker - brokerIdleCores * seconds)} µs/event` : '') +
    `; load average ${loadavg()[0].toFixed(1)}`;
  process.stdout.write(`${line}\n`);
}

/** The next offsets of `topic`'s partitions, summed: records written to it so far (0 while it is missing). */
async function topicEnd(url: string, topic: string): Promise<number> {
  const response = await fetch(`${url}/admin/topics/${topic}`);
  if (response.status !== 200) return 0;
  const info = (await response.json()) as { partitions: { latest: number }[] };
  return info.partitions.reduce((sum, p) => sum + p.latest, 0);
}

/** Bytes `topic` stores per record (one copy: Kafka's log segments, batch and record headers included). */
async function bytesPerRecord(url: string, topic: string): Promise<string> {
  const storage = (await (await fetch(`${url}/admin/topics/${topic}/storage`)).json()) as {
    partitions: { bytes: number }[];
  };
  const records = await topicEnd(url, topic);
  return (storage.partitions.reduce((sum, p) => sum + p.bytes, 0) / records).toFixed(0);
}

let delivered = 0;
const sink = leanHttpServer((_body, reply) => {
  delivered += 1;
  reply(200);
});
sink.listen(0, '127.0.0.1');
await new Promise((resolve) => sink.once('listening', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/events`;

const base = mkdtempSync(path.join(tmpdir(), 'herald-bench-stages-'));
const heraldFor = (destinations: unknown[]) =>
  new HeraldChild({
    dataDir: path.join(base, 'data'),
    nodeFlags: heraldNodeFlags(),
    config: {
      log: { level: 'warn' },
      broker: { url: values.broker },
      shutdown: { timeout_ms: 5000 },
      delivery: {
        topic_prefix: prefix,
        partitions: Number(values.partitions),
        batch_max_events: Math.max(batchUsers, 500),
        mocks: [],
        destinations,
      },
    },
  });
const destination = (url: string, backoffMs?: number) => ({
  id: 'bench',
  url,
  maxAttempts: 1_000_000,
  maxAgeMs: 30 * 86_400_000,
  concurrency: 512,
  ...(backoffMs === undefined ? {} : { backoff: { initialMs: backoffMs, maxMs: backoffMs } }),
});

let current: HeraldChild | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (current?.kill() ?? Promise.resolve()).finally(() => {
      rmSync(base, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

process.stdout.write(
  `delivery stages: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, broker ` +
    `${values.broker}, ${total} events (${users} users × ${eventsPerUser}, ${batchUsers} a request, payload pad ` +
    `${values.pad} B), ${values.partitions} partitions; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
);
if (brokerPids.length > 0) {
  const [cpu, at] = [brokerCpu(), performance.now()];
  await sleep(10_000);
  brokerIdleCores = (brokerCpu() - cpu) / ((performance.now() - at) / 1000);
  process.stdout.write(`broker idle: ${brokerIdleCores.toFixed(2)} cores (subtracted below)\n`);
}
try {
  current = heraldFor([]);
  const ingestUrl = await current.start();
  let accepted = 0;
  const load = generateLoad({
    users,
    events: eventsPerUser,
    batchUsers,
    concurrency: 16,
    padBytes: Number(values.pad),
    baseUrl: () => ingestUrl,
    onAccepted: () => void (accepted += 1),
  });
  await measure('ingest', current, async () => accepted, load);
  await current.stop();

  // Port 1 refuses connections; the first retry an hour later: the sender stalls after one attempt per user.
  current = heraldFor([destination('http://127.0.0.1:1/events', 3_600_000)]);
  const transformUrl = await current.start();
  await measure('transform', current, () => topicEnd(transformUrl, destinationTopic));
  await current.stop();

  current = heraldFor([destination(sinkUrl)]);
  const sendUrl = await current.start();
  await measure('send', current, async () => delivered);
  process.stdout.write(
    `bytes stored per record: ${source} ${await bytesPerRecord(sendUrl, source)}, ` +
      `${destinationTopic} ${await bytesPerRecord(sendUrl, destinationTopic)}\n`,
  );
  await current.stop();
  const statusFiles = readdirSync(path.join(base, 'data', 'delivery')).filter((f) => f.startsWith(`${prefix}.status`));
  const statusBytes = statusFiles.reduce((sum, f) => sum + statSync(path.join(base, 'data', 'delivery', f)).size, 0);
  process.stdout.write(`status store: ${(statusBytes / total).toFixed(0)} bytes per event (${statusFiles.join(', ')})\n`);
} finally {
  await current?.kill();
  sink.close();
  rmSync(base, { recursive: true, force: true });
}

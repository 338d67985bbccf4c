import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeraldChild } from '../shared/herald-child.ts';
import { type AcceptedEvent, generateLoad } from './load.ts';
import type { CheckOptions } from './options.ts';
import { RecordingDestination } from './recorder.ts';
import { type Summary, summarise, unsettled } from './verify.ts';

/** Everything a check run observed. */
export interface CheckResult {
  summary: Summary;
  loadMs: number;
  /** From the first publish until every event was delivered or dead everywhere. */
  totalMs: number;
  killedAtMs?: number;
  restartedAfterMs?: number;
  retriedRequests: number;
}

/** Whether destination `name` refuses event `id` for good: a stable draw, so every attempt gets the same answer. */
function refuses(name: string, id: string, rate: number): boolean {
  if (rate <= 0) return false;
  const draw = createHash('sha256').update(`${name}/${id}`).digest().readUInt32BE(0) / 2 ** 32;
  return draw < rate;
}

/**
 * One delivery check: local destinations, Herald as a child process delivering to them, a load of numbered
 * events per user, an optional SIGKILL and restart mid-run, then a wait until every acknowledged event is delivered
 * or dead-lettered everywhere (or the timeout), and the summary.
 */
export async function runCheck(options: CheckOptions, log: (line: string) => void = () => {}): Promise<CheckResult> {
  const names = options.failureRates.map((_, i) => `check-${String.fromCharCode(97 + i)}`);
  const secret = randomBytes(16).toString('hex');
  const recorders = await Promise.all(
    options.failureRates.map((failureRate, i) =>
      RecordingDestination.start({
        failureRate,
        maxLatencyMs: options.latencyMs,
        secret: i === 0 ? secret : undefined,
      }),
    ),
  );
  recorders.forEach((recorder, i) => {
    recorder.answer = (request) => (refuses(names[i], request.id, options.rejectRate) ? 400 : undefined);
  });
  const base = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'herald-delivery-check-'));
  const dataDir = path.join(base, 'data');
  const herald = new HeraldChild({
    dataDir,
    config: {
      log: { level: 'warn' },
      broker: { url: options.broker },
      // Config files take schema keys in snake_case (the loader folds `timeout_ms` to `timeoutMs`); values inside
      // the destination list keep their camelCase names.
      shutdown: { timeout_ms: 5000 },
      delivery: {
        topic_prefix: `check-${randomBytes(4).toString('hex')}`,
        mocks: [],
        destinations: names.map((id, i) => ({
          id,
          url: recorders[i].url,
          timeoutMs: 2_000,
          maxAttempts: 1_000,
          maxAgeMs: options.timeoutMs,
          backoff: { initialMs: 20, maxMs: 500 },
          concurrency: 64,
          ...(i === 0 ? { secret } : {}),
        })),
      },
    },
  });
  const result: Partial<CheckResult> = {};
  try {
    log(`starting Herald (broker ${options.broker}, data ${dataDir})`);
    await herald.start();
    const started = performance.now();
    const kill =
      options.killAfterMs === undefined ? undefined : killLater(herald, options.killAfterMs, started, result, log);
    log(`sending ${options.users} users × ${options.events} events`);
    const load = await generateLoad({
      users: options.users,
      events: options.events,
      batchUsers: options.batchUsers,
      concurrency: options.concurrency,
      baseUrl: () => herald.url,
    });
    result.loadMs = load.elapsedMs;
    result.retriedRequests = load.retriedRequests;
    log(`accepted ${load.accepted.length} in ${(load.elapsedMs / 1000).toFixed(1)} s; waiting for delivery`);
    await kill;
    const dead = await waitForDelivery(herald, load.accepted, names, recorders, started + options.timeoutMs, log);
    result.totalMs = performance.now() - started;
    const destinations = Object.fromEntries(
      names.map((name, i) => [name, summarise(load.accepted, recorders[i].receipts, (id) => dead[i].has(id))]),
    );
    const bad = recorders.reduce((n, r) => n + r.badSignatures, 0);
    if (bad > 0) log(`WARNING: ${bad} requests had a bad signature`);
    const ok = bad === 0 && Object.values(destinations).every((d) => d.lost === 0 && d.orderViolations === 0);
    result.summary = { accepted: load.accepted.length, destinations, ok };
    return result as CheckResult;
  } finally {
    await herald.stop();
    await Promise.all(recorders.map((r) => r.close()));
    if (!options.keep && options.dataDir === undefined) rmSync(base, { recursive: true, force: true });
  }
}

async function killLater(
  herald: HeraldChild,
  afterMs: number,
  started: number,
  result: Partial<CheckResult>,
  log: (line: string) => void,
): Promise<void> {
  await sleep(afterMs);
  result.killedAtMs = performance.now() - started;
  log(`SIGKILL Herald (pid ${herald.pid}) after ${(result.killedAtMs / 1000).toFixed(1)} s`);
  await herald.kill();
  const down = performance.now();
  await herald.start();
  result.restartedAfterMs = performance.now() - down;
  log(`Herald restarted in ${(result.restartedAfterMs / 1000).toFixed(1)} s`);
}

/** Polls until every acknowledged event is received or `dead` at every destination; returns the dead ids. */
async function waitForDelivery(
  herald: HeraldChild,
  accepted: AcceptedEvent[],
  names: string[],
  recorders: RecordingDestination[],
  deadline: number,
  log: (line: string) => void,
): Promise<Set<string>[]> {
  const dead = names.map(() => new Set<string>());
  let lastReceipts = -1;
  let quietSince = performance.now();
  let lastLog = 0;
  for (;;) {
    const missing = names.map((_, i) => unsettled(accepted, recorders[i].receipts, (id) => dead[i].has(id)));
    const total = missing.reduce((n, m) => n + m.length, 0);
    if (total === 0) return dead;
    const receipts = recorders.reduce((n, r) => n + r.receipts.length, 0);
    if (receipts !== lastReceipts) {
      lastReceipts = receipts;
      quietSince = performance.now();
    }
    // Asking Herald about every pending event would be wasteful; ask once little is left or nothing moves.
    if (total <= 500 || performance.now() - quietSince > 2_000) await markDead(herald, names, missing, dead);
    if (performance.now() - lastLog > 5_000) {
      lastLog = performance.now();
      log(`waiting: ${names.map((n, i) => `${n} ${missing[i].length} left`).join(', ')}`);
    }
    if (performance.now() > deadline) return dead;
    await sleep(250);
  }
}

async function markDead(herald: HeraldChild, names: string[], missing: string[][], dead: Set<string>[]) {
  const url = herald.url;
  if (url === undefined) return;
  const ids = [...new Set(missing.flat())].slice(0, 2_000);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      try {
        const response = await fetch(`${url}/events/${ids[i]}`);
        if (response.status !== 200) continue;
        const status = (await response.json()) as { destinations: Record<string, { status: string }> };
        names.forEach((name, d) => {
          if (status.destinations[name]?.status === 'dead') dead[d].add(ids[i]);
        });
      } catch {
        return; // Herald went away; the next round asks again
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

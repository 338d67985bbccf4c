/**
 * A full disk, on a small tmpfs (root only): starting on it is refused in one coded line and leaves no lock behind;
 * while running, writes are refused with a coded error and `/readyz` says not ready; once space is back, writes
 * succeed again and every acknowledged record is there — those of runs kept in `herald.db` and in the bulk files.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BULK_DIR } from '../../src/broker/embedded/bulk-store.ts';
import { mountSmallDisk } from '../shared/small-disk.ts';
import type { ChaosOptions } from './options.ts';
import type { ProbeResult } from './report.ts';
import { chaosHerald, request } from './herald.ts';

const TOPIC = 'chaos-disk';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function diskProbe(_workDir: string, result: ProbeResult, _options: ChaosOptions): Promise<void> {
  const disk = mountSmallDisk(64);
  if (typeof disk === 'string') {
    result.skipped = disk;
    return;
  }
  try {
    await probeDisk(disk, result);
  } finally {
    disk.unmount();
  }
}

async function probeDisk(disk: Exclude<ReturnType<typeof mountSmallDisk>, string>, result: ProbeResult): Promise<void> {
  const { herald, log } = chaosHerald(disk.dir, 'herald');
  const dataDir = path.join(disk.dir, 'herald', 'data');

  // 1. Starting on a full disk.
  disk.fill();
  const refused = await herald.start().then(
    () => undefined,
    (err: Error) => err.message,
  );
  if (refused === undefined) {
    result.problems.push('Herald started on a full disk');
    await herald.stop();
  } else {
    const line = log().split('\n').find((l) => /HERALD_/.test(l));
    if (line === undefined || !/disk is full/.test(line)) {
      result.problems.push(`starting on a full disk: no one-line coded error saying so:\n${log().slice(-2_000)}`);
    }
    if (/\n\s+at /.test(log())) result.problems.push(`starting on a full disk printed a stack:\n${log().slice(-2_000)}`);
  }
  if (existsSync(path.join(dataDir, 'herald.lock'))) result.problems.push('a full-disk start left herald.lock behind');
  disk.free();

  // 2. Running, then the disk fills.
  const url = await herald.start();
  const post = (records: unknown[]) =>
    request(`${url}/admin/topics/${TOPIC}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(records),
    });
  const created = await request(`${url}/admin/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: TOPIC, partitions: 2 }),
  });
  if (created?.status !== 201) throw new Error(`creating ${TOPIC}: ${created?.status} ${created?.text}`);
  const acked = new Set<string>();
  let sequence = 0;
  let sends = 0;
  // Every other request writes ~80 KB a partition: runs that large go to the bulk files, the others to herald.db.
  const send = async () => {
    const count = sends++ % 2 === 0 ? 20 : 80;
    const records = Array.from({ length: count }, () => ({ key: `k${sequence % 7}`, value: `${sequence++}:${'x'.repeat(2_000)}` }));
    const answer = await post(records);
    if (answer?.status === 201) for (const r of records) acked.add(r.value.split(':')[0]);
    return answer;
  };
  for (let i = 0; i < 20; i++) await send();
  disk.fill();
  let refusedWrites = 0;
  let uncoded = 0;
  for (let i = 0; i < 50; i++) {
    const answer = await send();
    if (answer === undefined || answer.status === 201) continue;
    refusedWrites++;
    if (answer.status < 500 || !/"code":"HERALD_STORAGE_/.test(answer.text)) {
      uncoded++;
      if (uncoded <= 3) result.problems.push(`a write on a full disk answered ${answer.status} ${answer.text.slice(0, 200)}`);
    }
  }
  result.figures['writes refused while full'] = refusedWrites;
  if (refusedWrites === 0) result.problems.push('no write was refused on a full disk');
  const ready = await request(`${url}/readyz`);
  if (ready?.status === 200) result.problems.push('/readyz was ready on a full disk');

  // 3. Space is back.
  disk.free();
  let recovered = false;
  for (let i = 0; i < 100 && !recovered; i++) {
    recovered = (await send())?.status === 201;
    if (!recovered) await sleep(100);
  }
  if (!recovered) result.problems.push(`writes did not succeed again once space was back:\n${log().slice(-2_000)}`);
  for (let i = 0; i < 20; i++) await send();
  let readyAgain = false;
  for (let i = 0; i < 100 && !readyAgain; i++) {
    readyAgain = (await request(`${url}/readyz`))?.status === 200;
    if (!readyAgain) await sleep(100);
  }
  if (!readyAgain) result.problems.push('/readyz did not become ready again once space was back');

  const seen = new Set<string>();
  for (let partition = 0; partition < 2; partition++) {
    let cursor: string | undefined;
    for (;;) {
      const query = cursor === undefined ? `partition=${partition}&offset=beginning` : `cursor=${encodeURIComponent(cursor)}`;
      const page = await request(`${url}/admin/topics/${TOPIC}/messages?${query}&limit=1000`);
      if (page?.status !== 200) throw new Error(`reading ${TOPIC}: ${page?.status} ${page?.text}`);
      const body = JSON.parse(page.text) as { records: { value: string }[]; next: string; more: boolean };
      for (const r of body.records) seen.add(r.value.split(':')[0]);
      if (!body.more || body.records.length === 0) break;
      cursor = body.next;
    }
  }
  await herald.stop();
  const bulk = path.join(dataDir, BULK_DIR);
  if (!existsSync(bulk) || readdirSync(bulk).length === 0) result.problems.push('no run reached the bulk files');
  let lost = 0;
  for (const value of acked) if (!seen.has(value)) lost++;
  result.figures.acknowledged = acked.size;
  result.figures.lost = lost;
  if (lost > 0) result.problems.push(`${lost} acknowledged records are missing`);
}

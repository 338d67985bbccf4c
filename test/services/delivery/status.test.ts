import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { newEventId } from '../../../services/delivery/event.ts';
import { openStatusDb } from '../../../services/delivery/status/schema.ts';
import { StatusStore } from '../../../services/delivery/status/store.ts';
import { smallDisk } from '../../support/small-disk.ts';
import { scratchDir } from '../../support/scratch-dir.ts';

async function open(t: TestContext, file?: string, threadScript?: URL) {
  if (file === undefined) {
    file = path.join(scratchDir('herald-status-'), 's.db');
  }
  const store = new StatusStore({
    file,
    destinations: ['a', 'b'],
    retentionMs: 60_000,
    logger: pino({ level: 'silent' }),
    threadScript,
  });
  await store.start();
  t.after(() => store.stop());
  return { store, file };
}

const meta = (at = Date.now()) => ({ id: newEventId(at), userId: 'u1', receivedAtMs: at });

describe('delivery status store', () => {
  it('shows an accepted event pending everywhere, then each attempt, delivery and death', async (t) => {
    const { store } = await open(t);
    const e = meta();
    await store.accepted([e]);
    let s = store.get(e.id)!;
    assert.equal(s.userId, 'u1');
    assert.deepEqual(
      Object.values(s.destinations).map((d) => [d.status, d.attempts]),
      [
        ['pending', 0],
        ['pending', 0],
      ],
    );
    await store.attempted(e, 'a', { ok: false, error: 'HTTP 500', at: 1000 });
    await store.attempted(e, 'a', { ok: true, at: 2000, answeredAt: 2070 });
    await store.attempted(e, 'b', { ok: false, error: 'HTTP 400', at: 1500 });
    await store.dead(e, 'b', 'delivery: HTTP 400', 1600);
    s = store.get(e.id)!;
    assert.deepEqual(s.destinations.a, {
      status: 'delivered',
      attempts: 2,
      lastError: 'HTTP 500',
      firstAttemptAt: new Date(1000).toISOString(),
      lastAttemptAt: new Date(2000).toISOString(),
      deliveredAt: new Date(2070).toISOString(),
      deadAt: null,
      replays: 0,
      replayedAt: null,
    });
    assert.equal(s.destinations.b.status, 'dead');
    assert.equal(s.destinations.b.attempts, 1);
    assert.equal(s.destinations.b.lastError, 'delivery: HTTP 400');
    assert.equal(store.state(e.id, 'a'), 'delivered');
    assert.equal(store.state(e.id, 'b'), 'dead');
    assert.equal(store.state(e.id, 'c'), undefined);
  });

  it('returns a replayed dead event to pending on its next attempt, and keeps delivered final', async (t) => {
    const { store } = await open(t);
    const e = meta();
    await store.dead(e, 'a', 'gave up');
    assert.equal(store.get(e.id)!.destinations.a.replays, 0);
    await store.attempted(e, 'a', { ok: false, error: 'HTTP 503', at: 5_000 });
    assert.equal(store.state(e.id, 'a'), 'pending');
    assert.equal(store.get(e.id)!.destinations.a.deadAt, null);
    assert.equal(store.get(e.id)!.destinations.a.replays, 1, 'an attempt after dead is a replay');
    assert.equal(store.get(e.id)!.destinations.a.replayedAt, new Date(5_000).toISOString());
    await store.attempted(e, 'a', { ok: false, error: 'HTTP 503', at: 6_000 });
    assert.equal(store.get(e.id)!.destinations.a.replays, 1, 'its retries are not');
    await store.attempted(e, 'a', { ok: true, at: Date.now() });
    await store.dead(e, 'a', 'late copy');
    assert.equal(store.state(e.id, 'a'), 'delivered');
  });

  it('opens a status file written before replays were counted, adding their columns', () => {
    const file = path.join(scratchDir('herald-status-old-'), 'old.db');
    const old = new DatabaseSync(file);
    old.exec(`CREATE TABLE deliveries (event_id TEXT NOT NULL, destination TEXT NOT NULL, state TEXT NOT NULL,
      attempts INTEGER NOT NULL, last_error TEXT, first_attempt_at INTEGER, last_attempt_at INTEGER,
      delivered_at INTEGER, dead_at INTEGER, PRIMARY KEY (event_id, destination)) WITHOUT ROWID;
      INSERT INTO deliveries VALUES ('e', 'd', 'dead', 3, 'x', 1, 2, NULL, 3)`);
    old.close();
    const [a, b] = [openStatusDb(file), openStatusDb(file)];
    assert.deepEqual({ ...(b.prepare('SELECT replays, replayed_at FROM deliveries').get() as object) }, {
      replays: 0,
      replayed_at: null,
    });
    a.close();
    b.close();
  });

  it('knows what is finished: from memory for its own work, from the file for what earlier runs did', async (t) => {
    const first = await open(t);
    const before = meta(Date.now() - 600_000);
    const justBefore = meta();
    const later = meta(Date.now() + 600_000); // as if accepted after the next start
    await first.store.attempted(before, 'a', { ok: true, at: Date.now() });
    await first.store.attempted(justBefore, 'a', { ok: true, at: Date.now() });
    await first.store.attempted(later, 'a', { ok: true, at: Date.now() });
    await first.store.dead(before, 'b', 'gave up');
    assert.equal(first.store.finalState(before, 'a'), 'delivered');
    assert.equal(first.store.finalState(before, 'b'), 'dead');
    await first.store.attempted(before, 'b', { ok: false, error: 'HTTP 503', at: Date.now() });
    assert.equal(first.store.finalState(before, 'b'), undefined, 'a replay attempt makes it pending again');
    await first.store.stop();
    const second = await open(t, first.file);
    assert.equal(second.store.finalState(before, 'a'), 'delivered');
    assert.equal(second.store.finalState(justBefore, 'a'), 'delivered', 'in flight at a crash: looked up');
    assert.equal(second.store.finalState(later, 'a'), undefined, 'accepted after the start: only memory can know');
  });

  it('records the event with its first attempt only where the API\'s record may be missing', async (t) => {
    const { store } = await open(t);
    const earlier = meta(Date.now() - 600_000); // accepted before this store started: a crash may have lost it
    const recorded = meta(Date.now() + 60_000); // accepted by this process, recorded by the API
    await store.accepted([recorded]);
    await store.attempted(earlier, 'a', { ok: true, at: Date.now() });
    await store.attempted(recorded, 'a', { ok: true, at: Date.now() });
    assert.equal(store.get(earlier.id)?.userId, 'u1');
    assert.equal(store.get(recorded.id)?.destinations.a.status, 'delivered');

    const unrecorded = meta(Date.now() + 60_000);
    await store.attempted(unrecorded, 'a', { ok: true, at: Date.now() });
    assert.equal(store.get(unrecorded.id), undefined, 'an event this process accepted is not written again');
    // An acceptance whose write fails (here: a value SQLite cannot bind): from then on first attempts record events.
    await assert.rejects(store.accepted([{ ...meta(), userId: {} as unknown as string }]));
    const lost = meta(Date.now() + 60_000);
    await store.attempted(lost, 'a', { ok: true, at: Date.now() });
    assert.equal(store.get(lost.id)?.destinations.a.status, 'delivered');
  });

  it('records a filtered event as delivered without attempts', async (t) => {
    const { store } = await open(t);
    const e = meta();
    await store.filtered(e, 'a');
    const a = store.get(e.id)!.destinations.a;
    assert.equal(a.status, 'delivered');
    assert.equal(a.attempts, 0);
  });

  it('survives a restart', async (t) => {
    const first = await open(t);
    const e = meta();
    await first.store.attempted(e, 'a', { ok: true, at: 5 });
    await first.store.stop();
    const second = await open(t, first.file);
    assert.equal(second.store.get(e.id)!.destinations.a.status, 'delivered');
  });

  it('purges only old events finished at every destination', async (t) => {
    const { store } = await open(t);
    const now = Date.now();
    const oldDone = meta(now - 120_000);
    const oldPending = meta(now - 120_000);
    const recentDone = meta(now - 1_000);
    for (const e of [oldDone, oldPending, recentDone]) await store.accepted([e]);
    for (const e of [oldDone, recentDone]) {
      await store.attempted(e, 'a', { ok: true, at: now });
      await store.dead(e, 'b', 'x');
    }
    await store.attempted(oldPending, 'a', { ok: true, at: now });
    assert.equal(await store.purge(now), 1);
    assert.equal(store.get(oldDone.id), undefined);
    assert.ok(store.get(oldPending.id));
    assert.ok(store.get(recentDone.id));
  });

  it('rejects the writes of a thread that dies, and starts another for the next', async (t) => {
    const { store } = await open(t, undefined, new URL('./fixtures/crashing-status-thread.ts', import.meta.url));
    const kept = meta();
    await store.accepted([kept]);
    await assert.rejects(store.accepted([{ ...meta(), userId: 'crash' }]), /status thread stopped \(exit code 4\)/);
    const after = meta();
    await store.attempted(after, 'a', { ok: true, at: Date.now() });
    assert.equal(store.get(kept.id)?.userId, 'u1');
    assert.equal(store.get(after.id)?.destinations.a.status, 'delivered', 'written by the new thread');
  });

  it('tries writes that failed for a passing cause again, until they are written', async (t) => {
    const { store } = await open(t, undefined, new URL('./fixtures/full-disk-status-thread.ts', import.meta.url));
    const e = meta();
    const started = Date.now();
    await store.attempted(e, 'a', { ok: true, at: Date.now() }); // fails twice, then is written
    assert.ok(Date.now() - started >= 100, 'waited before trying again');
    assert.equal(store.get(e.id)?.destinations.a.status, 'delivered');
  });

  it('on a real full disk: the cause is logged, the write waits, and lands once space is freed', async (t) => {
    const disk = smallDisk(t, 4);
    if (typeof disk === 'string') return t.skip(disk);
    const lines: string[] = [];
    const store = new StatusStore({
      file: path.join(disk.dir, 's.db'),
      destinations: ['a'],
      retentionMs: 60_000,
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
    });
    await store.start();
    t.after(() => store.stop());
    await store.accepted([meta()]); // the file exists before the disk fills
    disk.fill();
    const events = Array.from({ length: 2_000 }, () => meta());
    let written = false;
    const writes = Promise.all(
      events.map((e) => store.attempted(e, 'a', { ok: true, at: Date.now(), error: 'x'.repeat(400) })),
    ).then(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(written, false, 'nothing is written while the disk is full');
    const failure = lines.map((l) => JSON.parse(l)).find((l) => /writing delivery statuses failed/.test(l.msg));
    assert.ok(failure, lines.join(''));
    assert.match(JSON.stringify(failure.err), /full/i, 'the disk error, not a failed rollback');
    assert.ok(!lines.join('').includes('cannot rollback'));
    disk.free();
    await writes;
    for (const e of events) assert.equal(store.get(e.id)?.destinations.a.status, 'delivered');
    assert.ok(lines.some((l) => /written again/.test(l)));
  });

  it('rejects writes after stop', async (t) => {
    const { store } = await open(t);
    await store.stop();
    await assert.rejects(store.accepted([meta()]), { code: 'HERALD_SHUTTING_DOWN' });
  });
});

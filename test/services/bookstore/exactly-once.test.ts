import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { searchEventCodec } from '../../../services/bookstore/events.ts';
import { type BrokerSpec, createBroker } from '../../../src/broker/index.ts';
import { startHerald } from '../../support/herald-process.ts';
import { kafkaSingle } from '../../support/kafka.ts';

/**
 * Counts stay exact when the processors are killed -9: a backlog of search events is written first, then a
 * bookstore process works through it and is SIGKILLed again and again; once a last one has caught up, every
 * query's count and every user's scores are exactly what the events say — none lost, none counted twice.
 */
const HERALD = path.resolve('bin/herald.ts');
/** Kafka works through a backlog faster than the embedded broker (no fsync per transaction): give it more. */
let EVENTS = 30_000;
const QUERIES = 60;
const USERS = 8;
const BOOKS = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, title: `Title ${i}`, author: `Author ${i % 7}` }));

function event(i: number) {
  const query = `q${i % QUERIES}:${i % 3}`;
  const user = i % 10 < USERS ? `u${i % 10}` : '';
  const books = [0, 1, 2].map((j) => BOOKS[(i * 7 + j * 3) % BOOKS.length]);
  return { query, user, books };
}

function expected() {
  const trends = new Map<string, number>();
  const scores = new Map<string, Map<string, number>>();
  for (let i = 0; i < EVENTS; i++) {
    const { query, user, books } = event(i);
    trends.set(query, (trends.get(query) ?? 0) + 1);
    if (user === '') continue;
    const mine = scores.get(user) ?? new Map<string, number>();
    for (const b of books) mine.set(`${b.title}|${b.author}`, (mine.get(`${b.title}|${b.author}`) ?? 0) + 1);
    scores.set(user, mine);
  }
  return { trends, scores };
}

async function writeBacklog(spec: BrokerSpec, topic: string): Promise<void> {
  const broker = await createBroker(spec);
  await broker.start();
  try {
    await broker.admin.createTopic({ name: topic, partitions: 3 });
    const producer = broker.producer();
    for (let start = 0; start < EVENTS; start += 1_000) {
      const records = [];
      for (let i = start; i < start + 1_000; i++) {
        const { query, user, books } = event(i);
        records.push({ topic, key: Buffer.from(query), value: searchEventCodec.encode({ user_id: user, books }) });
      }
      await producer.send(records);
    }
    await producer.close();
  } finally {
    await broker.stop();
  }
}

async function json(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

async function trendsTotal(url: string): Promise<number> {
  const trends = (await json(`${url}/trends?ps=100`)) as { count: number }[];
  return trends.reduce((sum, t) => sum + t.count, 0);
}

/**
 * Starts the bookstore, waits until it has made progress past `before` (it restored and is counting), lets it
 * work a random moment more, then SIGKILLs it. Returns how many searches were counted when it died.
 */
async function killMidWork(t: TestContext, args: string[], before: number): Promise<number> {
  const herald = await startHerald(t, HERALD, args);
  const deadline = Date.now() + 60_000;
  while ((await trendsTotal(herald.url).catch(() => 0)) <= before && Date.now() < deadline) await sleep(20);
  await sleep(Math.floor(Math.random() * 250));
  const total = await trendsTotal(herald.url).catch(() => before);
  herald.child.kill('SIGKILL');
  await herald.exit;
  assert.ok(total <= EVENTS, `counted ${total} of ${EVENTS}: some twice`);
  return total;
}

async function killRepeatedly(t: TestContext, args: string[], kills: number) {
  let midWork = 0;
  let counted = 0;
  for (let k = 0; k < kills && counted < EVENTS; k++) {
    counted = await killMidWork(t, args, counted);
    if (counted < EVENTS) midWork++;
  }
  return midWork;
}

async function scenario(t: TestContext, kafka?: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bookstore-eos-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const id = randomUUID().slice(0, 8);
  const topic = `bs-${id}-searches`;
  // Enough work that several kills land before it is done: the processors count 100,000+ records a second.
  EVENTS = kafka ? 200_000 : 80_000;
  const spec: BrokerSpec = kafka ? { kind: 'kafka', bootstrap: kafka } : { kind: 'embedded', dataDir: dir };
  await writeBacklog(spec, topic);
  const args = [
    'bookstore',
    '--data-dir',
    dir,
    '--set',
    `bookstore.topic=${topic}`,
    '--set',
    `bookstore.trends.group=bs-${id}-trends`,
    '--set',
    `bookstore.recommendations.group=bs-${id}-recs`,
    ...(kafka ? ['--broker', `kafka://${kafka.join(',')}`] : []),
  ];
  const midWork = await killRepeatedly(t, args, 5);
  assert.ok(midWork >= 2, `only ${midWork} kills landed before the work was done`);

  const last = await startHerald(t, HERALD, args);
  const want = expected();
  const deadline = Date.now() + 120_000;
  let total = await trendsTotal(last.url);
  while (total < EVENTS) {
    assert.ok(Date.now() < deadline, `only ${total} of ${EVENTS} searches counted`);
    await sleep(200);
    total = await trendsTotal(last.url);
  }
  assert.equal(total, EVENTS);
  const trends = (await json(`${last.url}/trends?ps=100`)) as { query: string; count: number }[];
  assert.deepEqual(new Map(trends.map((x) => [x.query, x.count])), want.trends);
  for (const [user, scores] of want.scores) {
    const sum = [...scores.values()].reduce((a, b) => a + b, 0);
    let recs: { title: string; author: string; score: number }[] = [];
    while (Date.now() < deadline) {
      recs = (await json(`${last.url}/recommendations?uid=${user}`)) as typeof recs;
      const top = [...scores.values()].sort((a, b) => b - a).slice(0, 10);
      if (recs.map((r) => r.score).join() === top.join()) break;
      await sleep(200);
    }
    for (const r of recs) assert.equal(r.score, scores.get(`${r.title}|${r.author}`), `${user}: ${r.title} (of ${sum})`);
    assert.equal(recs.length, Math.min(10, scores.size));
  }
}

describe('bookstore processors under kill -9', () => {
  it('embedded: trends and recommendations exact', { timeout: 300_000 }, (t) => scenario(t));

  it('Kafka: trends and recommendations exact', { timeout: 300_000 }, async (t) => {
    const kafka = await kafkaSingle(t);
    if (!kafka) return;
    await scenario(t, kafka);
  });
});

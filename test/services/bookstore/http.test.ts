import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bookstoreService } from '../../../services/bookstore/index.ts';
import { bootHerald, request } from '../../support/boot.ts';
import { kafkaSingle } from '../../support/kafka.ts';

/** The fields of the answers this test reads (books, trends, recommendations, errors). */
interface Row {
  query: string;
  count: number;
  books: unknown[];
  title: string;
  author: string;
  score: number;
  user_id: string;
  error: string;
}

/** The bookstore over HTTP on both brokers: searches by several users, trends and recommendations, validation. */
async function bootBookstore(t: TestContext, kafka?: string[]) {
  const flags: Record<string, string> = {};
  if (kafka !== undefined) {
    const id = randomUUID().slice(0, 8);
    flags['broker.url'] = `kafka://${kafka.join(',')}`;
    flags['bookstore.topic'] = `bs-${id}-searches`;
    flags['bookstore.trends.group'] = `bs-${id}-trends`;
    flags['bookstore.recommendations.group'] = `bs-${id}-recommendations`;
  }
  const herald = await bootHerald(t, flags, [bookstoreService]);
  const get = async (path: string, uid?: string) => {
    const response = await fetch(`${herald.url}${path}`, { headers: uid ? { cookie: `uid=${uid}` } : {} });
    const body = (await response.json()) as Row[] & Row;
    return { status: response.status, body, event: response.headers.get('x-search-event') };
  };
  return { herald, get };
}

async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

async function scripted(t: TestContext, kafka?: string[]) {
  const { get } = await bootBookstore(t, kafka);
  // u1 searches austen twice and dickens once; u2 searches austen once; an anonymous search counts for trends only.
  const austen = await get('/api/books?q=austen', 'u1');
  assert.equal(austen.status, 200);
  assert.equal(austen.body.length, 5);
  assert.equal(austen.event, null);
  await get('/api/books?q=austen', 'u1');
  await get('/api/books?q=dickens', 'u1');
  await get('/api/books?q=austen', 'u2');
  await get('/api/books?q=war:peace');
  const trends = await eventually(
    'trends',
    () => get('/trends?ps=2'),
    (r) => r.body.length === 2 && r.body[0].count === 3,
  );
  assert.deepEqual([trends.body[0].query, trends.body[0].count], ['austen', 3]);
  assert.equal(trends.body[1].count, 1);
  assert.equal(trends.body[0].books.length, 5);
  const all = await eventually('all trends', () => get('/trends'), (r) => r.body.length === 3);
  assert.deepEqual(new Set(all.body.map((x) => x.query)), new Set(['austen', 'dickens', 'war:peace']));
  const windowed = await get('/trends?window=1h');
  assert.equal(windowed.body[0].count, 3);
  const u1 = await eventually(
    'recommendations of u1',
    () => get('/recommendations?uid=u1'),
    (r) => r.body.length === 10 && r.body[0].score === 2,
  );
  assert.ok(u1.body.every((r) => r.user_id === 'u1'));
  assert.equal(u1.body.filter((r) => r.score === 2).length, 5, 'the five Austen books twice');
  const u2 = await eventually('recommendations of u2', () => get('/recommendations?uid=u2'), (r) => r.body.length === 5);
  assert.ok(u2.body.every((r) => r.author === 'Jane Austen' && r.score === 1));
}

describe('bookstore over HTTP', () => {
  it('embedded: trends and recommendations follow a scripted sequence of searches by several users', (t) => scripted(t));

  it('Kafka: the same', async (t) => {
    const kafka = await kafkaSingle(t);
    if (!kafka) return;
    await scripted(t, kafka);
  });

  it('answers bad input with 400 naming the field, and the original’s shapes', async (t) => {
    const { herald, get } = await bootBookstore(t);
    for (const [path, error] of [
      ['/api/books?o=-1', 'o must be between 0 and 1000000'],
      ['/api/books?o=abc', 'o must be an integer'],
      [`/api/books?q=${'x'.repeat(201)}`, 'q must be at most 200 characters'],
      ['/trends?ps=0', 'ps must be between 1 and 100'],
      ['/trends?ps=-1', 'ps must be between 1 and 100'],
      ['/trends?ps=101', 'ps must be between 1 and 100'],
      ['/trends?ps=ten', 'ps must be an integer'],
      ['/trends?window=2h', 'window must be 1h or 24h'],
      ['/recommendations', 'Empty uid is not allowed'],
      ['/recommendations?uid=', 'Empty uid is not allowed'],
    ] as const) {
      assert.deepEqual(await get(path), { status: 400, body: { error }, event: null }, path);
    }
    const post = (body: unknown) => request(`${herald.url}/api/books`, 'POST', body);
    const good = { title: 'T', author: 'A', published_at: '2001-02-03', description: 'D' };
    assert.deepEqual((await post({ ...good, title: '' })).body, { error: 'title must not be empty' });
    assert.deepEqual((await post({ ...good, author: 7 })).body, { error: 'author must be a string' });
    assert.deepEqual((await post({ ...good, published_at: 'yesterday' })).body, {
      error: 'published_at must be a date (YYYY-MM-DD)',
    });
    const created = await post(good);
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.body, id: 0, created_at: '' }, { ...good, id: 0, created_at: '' });
    assert.deepEqual((await get('/api/books?q=T')).status, 200);
    const landing = await fetch(`${herald.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.match(await landing.text(), /<a href="\/bookstore\/">Bookstore/);
    const index = (await (await fetch(`${herald.url}/`)).json()) as { pages: { path: string }[] };
    assert.deepEqual(index.pages.map((p) => p.path), ['/bookstore/']);
    const page = await fetch(`${herald.url}/bookstore/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Herald bookstore/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopologyTester } from '../../../src/testing/index.ts';
import { byUserGroup, MAX_SCORED, recommendationsGroup, addResults, topRecommendations } from '../../../services/bookstore/recommendations.ts';
import { addSearch, BUCKET_MS, countIn, trendsGroup } from '../../../services/bookstore/trends.ts';

const book = (id: number, title = `Book ${id}`, author = `Author ${id}`) => ({ id, title, author });
const HOUR = 3_600_000;

/** The trends and recommendations rules, through the processor tester with controlled event time. */
describe('bookstore trends', () => {
  it('counts each search once (the first too), keeps the latest results, by query', async () => {
    const tester = new TopologyTester(trendsGroup('trends', 'searches'));
    await tester.send('searches', 'austen', { user_id: 'u1', books: [book(1)] }, { timestamp: 1_000 });
    assert.equal(tester.table('austen')?.count, 1);
    await tester.send('searches', 'austen', { user_id: 'u2', books: [book(2)] }, { timestamp: 2_000 });
    await tester.send('searches', 'a:b', { user_id: '', books: [] }, { timestamp: 2_500 });
    assert.deepEqual(tester.table('austen')?.books, [book(2)]);
    assert.equal(tester.table('austen')?.count, 2);
    assert.equal(tester.table('a:b')?.count, 1, 'a query with a colon is a query like any other');
  });

  it('a late event counts but does not replace the latest results', () => {
    const first = addSearch(undefined, [book(1)], 10 * HOUR);
    const late = addSearch(first, [book(9)], 10 * HOUR - 60_000);
    assert.equal(late.count, 2);
    assert.deepEqual(late.books, [book(1)]);
    assert.equal(late.latest, 10 * HOUR);
  });

  it('windows: 1h and 24h by event time; buckets older than a day are dropped, so state stays bounded', () => {
    const now = 100 * HOUR;
    let s = addSearch(undefined, [], now - 30 * HOUR);
    s = addSearch(s, [], now - 20 * HOUR);
    s = addSearch(s, [], now - 2 * HOUR);
    s = addSearch(s, [], now - 10 * 60_000);
    s = addSearch(s, [], now - 60_000);
    assert.equal(s.count, 5);
    assert.equal(countIn(s, HOUR, now), 2);
    assert.equal(countIn(s, 24 * HOUR, now), 4);
    assert.ok(s.buckets.every(([start]) => start > now - 24 * HOUR - BUCKET_MS));
    for (let i = 0; i < 2_000; i++) s = addSearch(s, [], now + i * 60_000);
    assert.ok(s.buckets.length <= (24 * HOUR) / BUCKET_MS + 1, `${s.buckets.length} buckets`);
  });
});

describe('bookstore recommendations', () => {
  it('repartitions by user id, dropping events without one; the query (with colons) travels as a field', async () => {
    const tester = new TopologyTester(byUserGroup('recommendations', 'searches', 'searches-by-user'));
    await tester.send('searches', 'war:peace', { user_id: 'u1', books: [book(1)] });
    await tester.send('searches', 'war', { user_id: '', books: [book(1)] });
    const out = tester.emitted('searches-by-user');
    assert.equal(out.length, 1);
    assert.equal(out[0].key, 'u1');
    assert.deepEqual(out[0].value, { query: 'war:peace', books: [book(1)] });
  });

  it('scores one point per appearance in a user’s results; top 10, score descending', async () => {
    const tester = new TopologyTester(recommendationsGroup('recommendations', 'by-user'));
    await tester.send('by-user', 'u1', { query: 'a', books: [book(1), book(2)] });
    await tester.send('by-user', 'u1', { query: 'b', books: [book(2), book(3)] });
    await tester.send('by-user', 'u2', { query: 'a', books: [book(1)] });
    const top = topRecommendations('u1', tester.table('u1'));
    assert.deepEqual(top, [
      { user_id: 'u1', title: 'Book 2', author: 'Author 2', score: 2 },
      { user_id: 'u1', title: 'Book 1', author: 'Author 1', score: 1 },
      { user_id: 'u1', title: 'Book 3', author: 'Author 3', score: 1 },
    ]);
    assert.equal(topRecommendations('u2', tester.table('u2')).length, 1);
    assert.deepEqual(topRecommendations('nobody', undefined), []);
    const many = Array.from({ length: 30 }, (_, i) => book(i));
    assert.equal(topRecommendations('u3', addResults(undefined, many)).length, 10);
  });

  it('keeps at most MAX_SCORED books per user, the lowest scores giving way', () => {
    let scores = addResults(undefined, [book(0)]);
    scores = addResults(scores, [book(0)]);
    scores = addResults(scores, Array.from({ length: MAX_SCORED + 50 }, (_, i) => book(i + 1)));
    assert.equal(Object.keys(scores).length, MAX_SCORED);
    assert.equal(scores['Book 0\u0000Author 0'], 2);
  });
});

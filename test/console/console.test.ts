/**
 * The console in a real browser (Debian's chromium, never a downloaded one): browse a topic and open a message;
 * watch a group's lag fall as a consumer catches up; the access rule of `/admin`. Screenshots of each page go to
 * `test-artifacts/console/` (not committed).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bookstoreService } from '../../services/bookstore/index.ts';
import { deliveryService } from '../../services/delivery/index.ts';
import { replayOptions } from '../../src/console/dead-letters.ts';
import { handlerRows } from '../../src/console/handlers.ts';
import { parseHeaderLines } from '../../src/console/topic-actions.ts';
import { handlerMetrics } from '../../src/runtime/handler-metrics.ts';
import { Registry } from 'prom-client';
import { displayValue } from '../../src/console/values.ts';
import { bootHerald, request } from '../support/boot.ts';
import { browserPage, SHOTS } from '../support/browser.ts';
import { openDeadLetters } from './dead-letter-topic.ts';

describe('console', { timeout: 120_000 }, () => {
  it('browses a topic newest first and opens a message with its headers and pretty JSON', async (t) => {
    const herald = await bootHerald(t);
    await request(`${herald.url}/admin/topics`, 'POST', { name: 'orders', partitions: 2, retentionMs: 86_400_000 });
    await request(`${herald.url}/admin/topics`, 'POST', { name: 'invoices', partitions: 1 });
    const records = Array.from({ length: 60 }, (_, i) => ({
      key: `customer-${i % 3}`,
      value: JSON.stringify({ order: i, items: ['<b>tea</b>'] }),
      headers: { source: 'console-test' },
      partition: i % 2,
    }));
    assert.equal((await request(`${herald.url}/admin/topics/orders/messages`, 'POST', records)).status, 201);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;

    await page.goto(`${herald.url}/console`);
    await page.fill('input[name=q]', 'ORD');
    await page.click('button:has-text("Filter")');
    assert.deepEqual(await page.$$eval('#topics tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['orders']);
    await page.click('text=orders');
    await page.screenshot({ path: path.join(SHOTS, 'topic.png'), fullPage: true });
    assert.match((await page.textContent('#settings')) ?? '', /cleanup: delete · retention 24 h\s*· \d+(\.\d)? KiB stored/);
    const sizes = await page.$$eval('#partitions tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.equal(sizes.length, 2);
    assert.ok(sizes.every((size) => /^\d+(\.\d)? KiB$/.test(size)), sizes.join());
    const rows = await page.$$eval('#messages tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.equal(rows.length, 50, 'the newest 50 of the topic');
    // Newest first: a partition's last record (offset 29) first.
    const offsets = await page.$$eval('#messages tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number(td.textContent)));
    assert.equal(offsets[0], 29);

    // By key, in the console and through the admin API the CLI uses.
    await page.fill('input[name=key]', 'customer-1');
    await page.click('button:has-text("Show")');
    const keys = await page.$$eval('#messages tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent));
    assert.equal(keys.length, 20);
    assert.ok(keys.every((k) => k === 'customer-1'));
    const byKey = await request(`${herald.url}/admin/topics/orders/messages?key=customer-2&limit=1000`);
    assert.equal(byKey.body.records.length, 20);
    assert.ok(byKey.body.records.every((r: { key: string }) => r.key === 'customer-2'));
    await page.fill('input[name=key]', '');

    await page.selectOption('select[name=partition]', '1');
    await page.fill('input[name=offset]', '0');
    await page.click('button:has-text("Show")');
    const fromStart = await page.$$eval('#messages tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(fromStart.slice(0, 3), ['0', '1', '2']);

    await page.click('#messages tbody tr:first-child td:nth-child(2) a');
    await page.screenshot({ path: path.join(SHOTS, 'message.png'), fullPage: true });
    const value = await page.textContent('#value');
    assert.equal(value, JSON.stringify({ order: 1, items: ['<b>tea</b>'] }, null, 2), 'pretty-printed, markup as text');
    assert.match((await page.textContent('main')) ?? '', /header source\s*console-test/);
  });

  it('follows a topic live: new messages appear on top without a reload', async (t) => {
    const herald = await bootHerald(t);
    await request(`${herald.url}/admin/topics`, 'POST', { name: 'live', partitions: 2 });
    await request(`${herald.url}/admin/topics/live/messages`, 'POST', [{ key: 'a', value: 'first' }]);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/topics/live`);
    await page.check('#follow');
    await request(`${herald.url}/admin/topics/live/messages`, 'POST', [{ key: 'b', value: 'second' }]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later timestamp: the merged order is by time
    await request(`${herald.url}/admin/topics/live/messages`, 'POST', [{ key: 'c', value: 'third' }]);
    await page.waitForFunction("document.querySelectorAll('#messages tbody tr').length === 3", undefined, { timeout: 10_000 });
    const values = await page.$$eval('#messages tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(values, ['third', 'second', 'first']);
    await page.click('#messages tbody tr:first-child td:nth-child(5) a');
    assert.equal(await page.textContent('#value'), 'third');
  });

  it('creates a topic, produces to it, refuses a wrong confirmation, deletes it — all in the audit', async (t) => {
    const herald = await bootHerald(t);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/topics`);
    await page.fill('#create input[name=name]', 'made-here');
    await page.fill('#create input[name=partitions]', '3');
    await page.click('#create button');
    await page.waitForURL(/\/console\/topics\/made-here$/);
    assert.equal((await page.$$('table:first-of-type tbody tr')).length, 3);

    await page.fill('#produce input[name=key]', 'k-1');
    await page.fill('#produce textarea[name=value]', '{"hello":"console"}');
    await page.fill('#produce textarea[name=headers]', 'source: console');
    await page.click('#produce button');
    await page.waitForSelector('#messages tbody tr');
    assert.match((await page.textContent('#messages')) ?? '', /k-1[\s\S]*"hello":"console"/);

    await page.fill('#delete input[name=confirm]', 'not-the-name');
    await page.click('#delete button');
    assert.match((await page.textContent('#error')) ?? '', /HERALD_VALIDATION_FAILED type the topic's name \(made-here\)/);
    await page.goto(`${herald.url}/console/topics/made-here`);
    await page.fill('#delete input[name=confirm]', 'made-here');
    await page.click('#delete button');
    await page.waitForURL(/\/console\/topics$/);
    assert.doesNotMatch((await page.textContent('main')) ?? '', /made-here/);
    await page.goto(`${herald.url}/console/audit`);
    const audit = (await page.textContent('#audit')) ?? '';
    assert.match(audit, /delete topic\s*made-here\s*deleted/);
    assert.match(audit, /delete topic\s*made-here\s*failed: type the topic's name/);
    assert.match(audit, /produce\s*made-here\s*partition \d, offset 0/);
    assert.match(audit, /create topic\s*made-here\s*3 partitions/);
  });

  it("shows a group's lag falling as its consumer catches up, without reloading", async (t) => {
    const herald = await bootHerald(t);
    await request(`${herald.url}/admin/topics`, 'POST', { name: 'jobs', partitions: 1 });
    const jobs = Array.from({ length: 20 }, (_, i) => ({ value: `job-${i}` }));
    await request(`${herald.url}/admin/topics/jobs/messages`, 'POST', jobs);
    // A group that has read 5 of 20: lag 15.
    const first = await fetch(`${herald.url}/admin/groups/workers/records?topic=jobs&limit=5`);
    assert.equal(first.status, 200);
    await first.text();
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/groups`);
    await page.click('text=workers');
    assert.equal(await page.textContent('#lag'), '15');
    await page.screenshot({ path: path.join(SHOTS, 'group.png'), fullPage: true });
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
    const rest = await fetch(`${herald.url}/admin/groups/workers/records?topic=jobs&limit=15`);
    await rest.text();
    await page.waitForFunction("document.getElementById('lag').textContent === '0'", undefined, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { marker: number }).marker), 1, 'the same page, not reloaded');
    // The lag history: from 15 down to 0, drawn.
    const points = (await page.getAttribute('#lag-history polyline', 'points')) ?? '';
    assert.ok(points.split(' ').length >= 2, points);
    assert.equal(points.split(' ').at(-1)?.split(',')[1], '58.0', 'the newest point at zero lag');
    await page.screenshot({ path: path.join(SHOTS, 'group-after.png'), fullPage: true });
  });

  it('dead-letters an event through a failing destination, finds it, dry-runs and replays it, and audits both', async (t) => {
    const herald = await bootHerald(t, {}, [deliveryService]);
    // The mock destination refuses a payload that asks for it (400: permanent), so the event is dead-lettered at once.
    const published = await request(`${herald.url}/publish`, 'POST', { userId: 'console-user', payload: { mockReject: true } });
    assert.equal(published.status, 202);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    // Its dead-letter topic exists from the start; the dead letter is in it a moment later.
    await openDeadLetters(page, herald.url, 'delivery.mock-mostly-ok.delivery.send.mock-mostly-ok.dlq');
    assert.match((await page.textContent('#dead-letters')) ?? '', /console-user[\s\S]*HERALD_DESTINATION_FAILED/);
    await page.screenshot({ path: path.join(SHOTS, 'dead-letters.png'), fullPage: true });

    // A dry run of this one: nothing sent.
    await page.check('#dead-letters tbody tr:first-child input[name=dryRun]');
    await page.click('#dead-letters tbody tr:first-child button');
    assert.match((await page.textContent('#report')) ?? '', /Dry run: would replay 1 of 1 matching; skipped 0/);
    await page.goBack();
    await page.reload();
    await page.click('#dead-letters tbody tr:first-child button');
    assert.match((await page.textContent('#report')) ?? '', /Replayed 1 of 1 matching/);
    await page.goto(`${herald.url}/console/audit`);
    const audit = (await page.textContent('#audit')) ?? '';
    assert.match(audit, /replay \(dry run\)[\s\S]*matched 1, replayed 0/);
    assert.match(audit, /replay.*matched 1, replayed 1/);
    await page.screenshot({ path: path.join(SHOTS, 'audit.png'), fullPage: true });
  });

  it("follows one event's journey as a waterfall, and shows the processors", async (t) => {
    const herald = await bootHerald(t, { 'telemetry.traces.recent': '100' }, [deliveryService, bookstoreService]);
    const published = await request(`${herald.url}/publish`, 'POST', { userId: 'journey-user', payload: { n: 1 } });
    const id = published.body.id as string;
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/journey`);
    await page.fill('input[name=id]', id);
    for (let i = 0; i < 100; i++) {
      await page.click('button:has-text("Follow")');
      // Delivered to both mock destinations: both POSTs are in the kept traces.
      const text = (await page.textContent('main')) ?? '';
      if ((text.match(/destination=mock-mostly-(ok|failing) url/g) ?? []).length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const text = (await page.textContent('main')) ?? '';
    assert.match(text, /POST \/publish/);
    assert.match(text, /topic=delivery\.events partition=\d+ offset=\d+/, 'the send to the events topic, with where it went');
    assert.match(text, /destination=mock-mostly-ok/);
    await page.screenshot({ path: path.join(SHOTS, 'journey.png'), fullPage: true });

    // Handlers: delivery's senders, one group per destination, with what they did.
    await page.goto(`${herald.url}/console/handlers`);
    const handlers = await page.$$eval('#handlers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const ok = handlers.find((cells) => cells[0] === 'delivery.send.mock-mostly-ok');
    assert.deepEqual(ok?.slice(0, 3), ['delivery.send.mock-mostly-ok', 'delivery.mock-mostly-ok', '1'], JSON.stringify(handlers));
    assert.equal(ok?.[7], '100.0%');
    assert.ok(handlers.some((cells) => cells[0] === 'delivery.send.mock-mostly-failing'));
    await page.screenshot({ path: path.join(SHOTS, 'handlers.png'), fullPage: true });

    await page.goto(`${herald.url}/console/processors`);
    await page.waitForSelector('#processors tbody tr');
    assert.match((await page.textContent('#processors')) ?? '', /trends\s*exactly-once\s*running/);
    await page.screenshot({ path: path.join(SHOTS, 'processors.png'), fullPage: true });
  });

  it('refuses an action without its form token (a forged cross-site post)', async (t) => {
    const herald = await bootHerald(t);
    const forged = await fetch(`${herald.url}/console/dead-letters/x.g.dlq/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=k',
    });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'HERALD_FORBIDDEN');
    const page = await herald.inject({ url: '/console/audit' });
    assert.doesNotMatch(page.body, /replay/, 'a refused action is not done');
  });

  it('follows the admin rule: refused on a non-loopback bind without a token', async (t) => {
    const open = await bootHerald(t, { 'http.host': '0.0.0.0' });
    const refused = await open.inject({ url: '/console/topics' });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'HERALD_FORBIDDEN');
    const landing = await open.inject({ url: '/', headers: { accept: 'text/html' } });
    assert.match(landing.body, /href="\/console"/);
  });

  it('with a token: a sign-in form, then an HttpOnly SameSite session cookie; a bearer header works too', async (t) => {
    const herald = await bootHerald(t, { 'http.adminToken': 's3cret-token' });
    assert.equal((await herald.inject({ url: '/console/groups/g/offsets.json' })).statusCode, 401);
    const bearer = await herald.inject({ url: '/console/topics', headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(bearer.statusCode, 200);
    const page = (await browserPage(t))?.page;
    if (page === undefined) return;
    await page.goto(`${herald.url}/console/groups`);
    assert.match(page.url(), /\/console\/login\?then=%2Fconsole%2Fgroups$/);
    await page.fill('input[name=token]', 'wrong');
    await page.click('button');
    assert.equal(await page.textContent('#failed'), 'That is not the admin token.');
    await page.fill('input[name=token]', 's3cret-token');
    await page.click('button');
    await page.waitForURL(/\/console\/groups$/);
    assert.equal(await page.textContent('h1'), 'Consumer groups');
    await page.screenshot({ path: path.join(SHOTS, 'signed-in.png'), fullPage: true });
    const [cookie] = await page.context().cookies();
    assert.equal(cookie.name, 'herald_console');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/console');
    // Elsewhere than the console, the cookie is no key: /admin still wants the bearer token.
    assert.equal((await page.request.get(`${herald.url}/admin/topics`)).status(), 401);
    // A sign-in never sends anyone off the console.
    const offsite = await herald.inject({
      method: 'POST',
      url: '/console/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'token=s3cret-token&then=https%3A%2F%2Fevil.example%2F',
    });
    assert.equal(offsite.headers.location, '/console/topics');
  });

  it('reads replay forms: one dead letter by its position, or all of a key, dry run, again, a rate', () => {
    assert.deepEqual(replayOptions({ partition: '2', offset: '7', dryRun: 'on' }), {
      dryRun: true,
      again: false,
      cursor: new Map([[2, 7]]),
      limit: 1,
    });
    assert.deepEqual(replayOptions({ key: 'k', again: 'on', ratePerSecond: '50' }), { dryRun: false, again: true, key: 'k', ratePerSecond: 50 });
    assert.throws(() => replayOptions({ ratePerSecond: 'fast' }), /ratePerSecond must be a whole number/);
  });

  it("sums the handler metrics by group and topic, with the mean handling time", async () => {
    const registry = new Registry();
    const metrics = handlerMetrics(registry);
    const labels = { topic: 't', group: 'g' };
    metrics.processed.inc(labels, 3);
    metrics.failed.inc(labels, 2);
    metrics.retried.inc(labels, 2);
    metrics.deadLettered.inc(labels, 1);
    metrics.duration.observe({ ...labels, outcome: 'ok' }, 0.01);
    metrics.duration.observe({ ...labels, outcome: 'error' }, 0.03);
    metrics.processed.inc({ topic: 'u', group: 'a' });
    const rows = await handlerRows(registry);
    assert.deepEqual(rows.map((r) => `${r.group}/${r.topic}`), ['a/u', 'g/t']);
    assert.deepEqual(rows[1], { topic: 't', group: 'g', processed: 3, failed: 2, retried: 2, deadLettered: 1, skipped: 0, meanMs: 20, lag: 0 });
    assert.equal(rows[0].meanMs, undefined);
  });

  it('reads header lines of a produce form', () => {
    assert.deepEqual(parseHeaderLines('a: 1\n\nb:two: parts\r\n'), { a: '1', b: 'two: parts' });
    assert.throws(() => parseHeaderLines('no colon'), /name: value/);
  });

  it('shows values for people: JSON pretty, text as it is, bytes and tombstones said so', () => {
    assert.equal(displayValue({ value: '{"a":1}' }), '{\n  "a": 1\n}');
    assert.equal(displayValue({ value: 'plain' }), 'plain');
    assert.equal(displayValue({ value: '42' }), '42');
    assert.equal(displayValue({ value: null }), '(null: a tombstone)');
    assert.equal(displayValue({ value: '/w==', encoding: 'base64' }), `(bytes, base64) /w==\n\n00000000  ff${' '.repeat(47)}.`);
  });
});

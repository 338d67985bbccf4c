/**
 * delivery's destinations in the console: a destination that refuses an event shows the refusal, the dead letter and
 * its success rate on a page that keeps itself current; once it recovers, replaying the dead letter from the console
 * delivers the event, and the page shows it delivered. The percentile estimate is checked on its own.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { quantile } from '../../src/console/destinations.ts';
import { bootDelivery, destination, publish, recorder, waitFor } from '../services/delivery/helpers.ts';
import { browserPage, SHOTS } from '../support/browser.ts';
import { openDeadLetters } from './dead-letter-topic.ts';

describe('console: destinations', { timeout: 120_000 }, () => {
  it('estimates percentiles from cumulative buckets, as histogram_quantile does', () => {
    const buckets = { bounds: [0.01, 0.1, 1, Infinity], counts: [50, 90, 100, 100] };
    assert.equal(quantile(0.5, buckets), 0.01);
    assert.ok(Math.abs(quantile(0.7, buckets)! - 0.055) < 1e-9, String(quantile(0.7, buckets)));
    assert.ok(Math.abs(quantile(0.95, buckets)! - 0.55) < 1e-9);
    assert.equal(quantile(0.99, { bounds: [0.01, Infinity], counts: [1, 10] }), 0.01, 'in +Inf: the highest finite bound');
    assert.equal(quantile(0.5, { bounds: [0.01, Infinity], counts: [0, 0] }), undefined);
  });

  it('shows a refusing destination live, and a replay after it recovers delivered', async (t) => {
    const partner = await recorder(t);
    partner.answer = () => 400;
    const herald = await bootDelivery(t, { destinations: [destination('partner', partner.url)] });
    const opened = await browserPage(t);
    if (opened === undefined) return;
    const { page } = opened;
    await page.goto(`${herald.url}/console/destinations`);
    const row = page.locator('#destinations tr[data-destination=partner]');
    assert.match((await row.textContent()) ?? '', /partner\s*0\s*0\s*–/, 'nothing attempted yet');

    const id = await publish(herald.url, 'console-user', { n: 1 });
    // No reload: the page's table is asked for again every two seconds.
    await page.waitForFunction(
      "document.querySelector('#destinations tr[data-destination=partner] .failures')?.textContent?.includes('4xx 1')",
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await row.locator('.success').textContent(), '0.0%');
    assert.equal((await row.locator('td').nth(7).textContent())?.trim(), '1', 'dead-lettered');
    await page.screenshot({ path: path.join(SHOTS, 'destinations-refusing.png'), fullPage: true });

    partner.answer = undefined;
    await openDeadLetters(page, herald.url, `${herald.prefix}.partner.${herald.prefix}.send.partner.dlq`);
    await page.click('#dead-letters tbody tr:first-child button');
    assert.match((await page.textContent('#report')) ?? '', /Replayed 1 of 1 matching/);
    await waitFor('the replayed event delivered', () => partner.receipts.some((r) => r.id === id));

    await page.goto(`${herald.url}/console/destinations`);
    await page.waitForFunction(
      "document.querySelector('#destinations tr[data-destination=partner] td:nth-child(2)')?.textContent === '1'",
      undefined,
      { timeout: 20_000 },
    );
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual([cells[1], cells[2], cells[3]], ['1', '2', '50.0%'], JSON.stringify(cells));
    assert.match(cells[5] ?? '', /^\d+(\.\d)? \/ \d+(\.\d)?$/, 'answer percentiles');
    assert.equal(cells[8], '0', 'nothing left to deliver');
    await page.screenshot({ path: path.join(SHOTS, 'destinations.png'), fullPage: true });
  });
});

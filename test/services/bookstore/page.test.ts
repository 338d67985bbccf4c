import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { bookstoreService } from '../../../services/bookstore/index.ts';
import { bootHerald } from '../../support/boot.ts';

/**
 * The bookstore page in a real browser (Debian's chromium; never a downloaded one): a search shows books, the
 * page sets its 5-character `uid` cookie for 30 days, and the trends and recommendations the processors compute
 * appear on it.
 */
const CHROMIUM = '/usr/bin/chromium';

describe('bookstore page in a browser', () => {
  it('searches, sets the uid cookie, shows trends and recommendations', async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) assert.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
      t.skip(`${CHROMIUM} is missing (apt-get install chromium)`);
      return;
    }
    const herald = await bootHerald(t, {}, [bookstoreService]);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    t.after(() => browser.close());
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${herald.url}/bookstore/`);
    await page.fill('#q', 'austen');
    await page.click('button[type=submit]');
    await page.waitForFunction("document.querySelectorAll('#books li').length === 5");
    assert.match(await page.textContent('#books') ?? '', /Pride and Prejudice/);

    const cookies = await context.cookies();
    const uid = cookies.find((c) => c.name === 'uid');
    assert.ok(uid, 'uid cookie set');
    assert.match(uid.value, /^[A-Za-z0-9]{5}$/);
    const days = (uid.expires * 1000 - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `expires in ${days} days`);
    assert.equal(await page.textContent('#uid'), uid.value);

    // The page refreshes trends and recommendations every 2 s, so they appear once the processors caught up.
    await page.waitForFunction(
      `/austen \\(1\\)/.test(document.querySelector('#trends').textContent) &&
       /Pride and Prejudice/.test(document.querySelector('#recommendations').textContent)`,
      undefined,
      { timeout: 30_000, polling: 200 },
    );
    assert.match(await page.textContent('#trends') ?? '', /austen/);
    assert.match(await page.textContent('#recommendations') ?? '', /Pride and Prejudice/);
  });
});

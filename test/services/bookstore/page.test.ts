import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bookstoreService } from '../../../services/bookstore/index.ts';
import { bootHerald } from '../../support/boot.ts';
import { browserPage } from '../../support/browser.ts';

/**
 * The bookstore page in a real browser (Debian's chromium; never a downloaded one): a search shows books, the
 * page sets its 5-character `uid` cookie for 30 days, and the trends and recommendations the processors compute
 * appear on it.
 */

describe('bookstore page in a browser', () => {
  it('searches, sets the uid cookie, shows trends and recommendations', async (t) => {
    const opened = await browserPage(t);
    if (opened === undefined) return;
    const { page, context } = opened;
    const herald = await bootHerald(t, {}, [bookstoreService]);
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

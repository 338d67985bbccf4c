import type { Page } from 'playwright-core';

/**
 * Opens the console's dead-letter topics and, once `topic` lists `count` records (a dead letter is written a moment
 * after its last attempt: the page is reloaded until then, 10 s at most), that topic's dead letters.
 */
export async function openDeadLetters(page: Page, url: string, topic: string, count = 1): Promise<void> {
  await page.goto(`${url}/console/dead-letters`);
  const row = page.locator('tr', { hasText: topic });
  const deadline = Date.now() + 10_000;
  while ((await row.locator('td.n').textContent()) !== String(count) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await page.reload();
  }
  await row.locator('a').click();
  await page.waitForSelector('#dead-letters tbody tr');
}

/**
 * A page in a real browser for tests: Debian's chromium, never a downloaded one. Missing chromium fails the test in
 * CI (`.ci/run` installs it) and skips it elsewhere. The browser closes when the test ends.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Where the console's screenshots go (not committed). */
export const SHOTS = path.join(import.meta.dirname, '../../test-artifacts/console');

/** A fresh browser context and a page in it; `undefined` when the test was skipped for want of chromium. */
export async function browserPage(t: TestContext): Promise<{ page: Page; context: BrowserContext } | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
    t.skip(`${CHROMIUM} is missing (apt-get install chromium)`);
    return undefined;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  mkdirSync(SHOTS, { recursive: true });
  const context = await browser.newContext();
  return { page: await context.newPage(), context };
}

import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { LOCAL_OPENSEARCH_URL } from '../../scripts/opensearch/layout.ts';
import { health } from '../../scripts/opensearch/server.ts';

/**
 * Gate for tests that need a real OpenSearch: the node at `$HERALD_TEST_OPENSEARCH` (default the local one of
 * `npm run opensearch:up`, http://127.0.0.1:29200). Returns its URL and an index name of the test's own (random;
 * the test creates it, and it is deleted when the test ends), or skips — or fails when HERALD_REQUIRE_OPENSEARCH=1.
 *
 *   const search = await openSearchLocal(t);
 *   if (!search) return; // skipped
 */
export async function openSearchLocal(
  t: Pick<TestContext, 'skip' | 'after'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string; index: string } | undefined> {
  const url = (env.HERALD_TEST_OPENSEARCH || LOCAL_OPENSEARCH_URL).replace(/\/+$/, '');
  const status = await health(url);
  if (status !== 'green' && status !== 'yellow') {
    const message = `no OpenSearch answers at ${url}: run npm run opensearch:up (or set HERALD_TEST_OPENSEARCH)`;
    if (env.HERALD_REQUIRE_OPENSEARCH === '1') {
      throw new Error(`${message}; HERALD_REQUIRE_OPENSEARCH=1 makes this a failure`);
    }
    t.skip(message);
    return undefined;
  }
  const index = `herald-test-${randomBytes(6).toString('hex')}`;
  t.after(async () => {
    await fetch(`${url}/${index}`, { method: 'DELETE' }).catch(() => {});
  });
  return { url, index };
}

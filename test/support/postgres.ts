import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { LOCAL_POSTGRES_URL } from '../../scripts/postgres/layout.ts';
import { answers } from '../../scripts/postgres/server.ts';

/**
 * Gate for tests that need a real PostgreSQL: the server at `$HERALD_TEST_POSTGRES` (default the local one of
 * `npm run pg:up`, postgres://herald@127.0.0.1:25432/postgres). Each test gets a database of its own, made with a
 * random name and dropped when the test ends, so tests running at once never see each other's rows.
 *
 *   const url = await postgresLocal(t);
 *   if (!url) return; // skipped
 */
export async function postgresLocal(
  t: Pick<TestContext, 'skip' | 'after'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const server = env.HERALD_TEST_POSTGRES || LOCAL_POSTGRES_URL;
  if (!(await answers(server))) {
    const message = `no PostgreSQL answers at ${server}: run npm run pg:up (or set HERALD_TEST_POSTGRES)`;
    if (env.HERALD_REQUIRE_POSTGRES === '1') {
      throw new Error(`${message}; HERALD_REQUIRE_POSTGRES=1 makes this a failure`);
    }
    t.skip(message);
    return undefined;
  }
  const name = `herald_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `CREATE DATABASE ${name}`);
  t.after(() => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(server: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { LOCAL_POSTGRES_URL, PG_HOST, PG_PORT, postgresLayout } from '../../scripts/postgres/layout.ts';
import { answers, SERVER_SETTINGS } from '../../scripts/postgres/server.ts';
import { othersCanEnter } from '../../scripts/server-user.ts';
import { postgresLocal } from '../support/postgres.ts';

describe('local PostgreSQL scripts', () => {
  it('bind the server to loopback on the fixed port, TCP only', () => {
    assert.equal(SERVER_SETTINGS.listen_addresses, `'${PG_HOST}'`);
    assert.equal(SERVER_SETTINGS.port, String(PG_PORT));
    assert.equal(SERVER_SETTINGS.unix_socket_directories, "''");
    assert.equal(LOCAL_POSTGRES_URL, `postgres://herald@127.0.0.1:${PG_PORT}/postgres`);
  });

  it('keep the cluster under the cache dir, or where the server user can reach it when root', () => {
    const open = postgresLayout('/tmp/herald-cache', {});
    assert.equal(open.dir, '/tmp/herald-cache/postgres-15');
    assert.equal(open.lockFile, '/tmp/herald-cache/run/postgres-15.lock');
    const private_ = postgresLayout('/root/.cache/herald', {});
    if (process.getuid?.() === 0) {
      assert.equal(private_.osUser, 'postgres');
      assert.equal(private_.dir, '/var/tmp/herald-postgres-15', 'the postgres user cannot enter /root');
    } else {
      assert.equal(private_.osUser, undefined);
      assert.equal(private_.dir, '/root/.cache/herald/postgres-15');
    }
  });

  it('tell which folders another user can enter', () => {
    assert.equal(othersCanEnter('/tmp/a/b/c'), true);
    if (existsSync('/root') && (statSync('/root').mode & 0o001) === 0) assert.equal(othersCanEnter('/root/x'), false);
  });

  it('report a silent server as not answering', async () => {
    assert.equal(await answers('postgres://nobody@127.0.0.1:1/postgres', 500), false);
  });

  it('skip, or fail under HERALD_REQUIRE_POSTGRES=1, when no server answers', async () => {
    const skipped: string[] = [];
    const t = { skip: (m?: string) => void skipped.push(m ?? ''), after: () => {} };
    const env = { HERALD_TEST_POSTGRES: 'postgres://nobody@127.0.0.1:1/postgres' };
    assert.equal(await postgresLocal(t, env), undefined);
    assert.match(skipped[0], /npm run pg:up/);
    await assert.rejects(postgresLocal(t, { ...env, HERALD_REQUIRE_POSTGRES: '1' }), /HERALD_REQUIRE_POSTGRES=1/);
  });

  it('give each test a database of its own, dropped when the test ends', async (t) => {
    const cleanups: (() => Promise<void>)[] = [];
    const inner = { skip: t.skip.bind(t), after: (fn: () => Promise<void>) => void cleanups.push(fn) };
    const [a, b] = [await postgresLocal(inner), await postgresLocal(inner)];
    if (!a || !b) return;
    assert.notEqual(a, b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.end();
    assert.equal(`/${rows[0].db}`, new URL(a).pathname);
    for (const cleanup of cleanups) await cleanup();
    assert.equal(await answers(a, 2000), false, 'the database is gone');
  });
});

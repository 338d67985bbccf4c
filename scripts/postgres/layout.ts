import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../kafka/layout.ts';
import { isRoot, othersCanEnter } from '../server-user.ts';

/** The PostgreSQL major version these scripts run (Debian bookworm's `postgresql` package). */
export const PG_MAJOR = 15;

/**
 * The loopback address and fixed port of the local server: not 5432, so a system PostgreSQL can run beside it, and
 * below Linux's ephemeral range (32768–60999), where an outgoing connection may hold it when the server starts.
 */
export const PG_HOST = '127.0.0.1';
export const PG_PORT = 25432;

/** The superuser `initdb` creates; loopback connections are trusted (a test server, never exposed). */
export const PG_USER = 'herald';

/** The URL tests and `npm start` use to reach the local server's maintenance database. */
export const LOCAL_POSTGRES_URL = `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/postgres`;

/** Where one local PostgreSQL cluster lives on disk. */
export interface PostgresLayout {
  /** `<cacheDir>/postgres-15`, or a folder the server's OS user can reach (see {@link postgresLayout}). */
  readonly dir: string;
  readonly dataDir: string;
  /** The server's stdout/stderr (pg_ctl -l): where to look when it does not come up. */
  readonly logFile: string;
  /** Serialises starts and stops of this cluster across processes. */
  readonly lockFile: string;
  /** `initdb`, `pg_ctl`, `postgres`. */
  readonly binDir: string;
  /** The OS user the server runs as: ours, or `postgres` when we are root (PostgreSQL refuses to run as root). */
  readonly osUser: string | undefined;
}

/**
 * Finds PostgreSQL's server binaries: `$HERALD_PG_BIN`, Debian's `/usr/lib/postgresql/<major>/bin`, else the
 * directory `pg_config --bindir` names. Undefined when none has `initdb` (the package is not installed).
 */
export function findBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.HERALD_PG_BIN?.trim(), `/usr/lib/postgresql/${PG_MAJOR}/bin`];
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (fromConfig.status === 0) candidates.push(fromConfig.stdout.trim());
  return candidates.find((dir): dir is string => !!dir && existsSync(join(dir, 'initdb')));
}

/**
 * The layout under the cache dir (`$HERALD_CACHE_DIR` or `~/.cache/herald`). As root, the server runs as the
 * `postgres` OS user, who cannot enter a home directory that is private to root (`/root` is 0700): then the
 * cluster lives in `/var/tmp/herald-postgres-15` instead, which that user owns.
 */
export function postgresLayout(cacheDir: string = defaultCacheDir(), env: NodeJS.ProcessEnv = process.env) {
  const binDir = findBinDir(env) ?? `/usr/lib/postgresql/${PG_MAJOR}/bin`;
  const root = isRoot();
  const osUser = root ? 'postgres' : undefined;
  let dir = join(cacheDir, `postgres-${PG_MAJOR}`);
  if (root && !othersCanEnter(cacheDir)) dir = `/var/tmp/herald-postgres-${PG_MAJOR}`;
  const layout: PostgresLayout = {
    dir,
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'server.log'),
    lockFile: join(cacheDir, 'run', `postgres-${PG_MAJOR}.lock`),
    binDir,
    osUser,
  };
  return layout;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../kafka/layout.ts';
import { isRoot, othersCanEnter } from '../server-user.ts';

/** The committed pom whose `opensearch.version` property pins the release. */
export const POM_PATH = join(import.meta.dirname, 'pom.xml');

/**
 * Loopback and fixed ports, away from OpenSearch's defaults (9200/9300) so another server can run beside it, and
 * below Linux's ephemeral range (32768–60999): a port in it can be taken by any outgoing connection at the moment
 * the server starts (59200 was, once, failing a CI run with `Address already in use`).
 */
export const OPENSEARCH_HOST = '127.0.0.1';
export const OPENSEARCH_HTTP_PORT = 29200;
export const OPENSEARCH_TRANSPORT_PORT = 29300;
export const LOCAL_OPENSEARCH_URL = `http://${OPENSEARCH_HOST}:${OPENSEARCH_HTTP_PORT}`;

/** The OS user the server runs as when we are root (OpenSearch refuses to run as root). */
export const OPENSEARCH_OS_USER = 'opensearch';

/** Where the distribution and one local node live on disk. */
export interface OpenSearchLayout {
  readonly version: string;
  readonly cacheDir: string;
  /** `<cacheDir>/opensearch-<version>.zip`, fetched once with Maven. */
  readonly zipFile: string;
  /** The node's folder: the unpacked distribution (`home/`), `data/`, `logs/`, the pid file and the launch log. */
  readonly dir: string;
  readonly home: string;
  readonly dataDir: string;
  readonly logsDir: string;
  readonly pidFile: string;
  readonly logFile: string;
  readonly lockFile: string;
  /** Set when we are root: the server runs as this user. */
  readonly osUser: string | undefined;
}

/** The `opensearch.version` property of the pom. */
export function parseOpenSearchVersion(pomXml: string): string {
  const match = /<opensearch\.version>\s*([^<\s]+)\s*<\/opensearch\.version>/.exec(pomXml);
  if (!match) throw new Error('scripts/opensearch/pom.xml has no <opensearch.version> property');
  return match[1];
}

/**
 * The layout under the cache dir (`$HERALD_CACHE_DIR` or `~/.cache/herald`). As root the node runs as the
 * `opensearch` OS user, who cannot enter a home directory private to root (`/root` is 0700): the node's folder is
 * then `/var/tmp/herald-opensearch-<version>` (the zip stays in the cache dir).
 */
export function openSearchLayout(cacheDir: string = defaultCacheDir()): OpenSearchLayout {
  const version = parseOpenSearchVersion(readFileSync(POM_PATH, 'utf8'));
  const root = isRoot();
  const osUser = root ? OPENSEARCH_OS_USER : undefined;
  const reachable = !root || othersCanEnter(cacheDir);
  const dir = reachable ? join(cacheDir, `opensearch-${version}`) : `/var/tmp/herald-opensearch-${version}`;
  return {
    version,
    cacheDir,
    zipFile: join(cacheDir, `opensearch-${version}.zip`),
    dir,
    home: join(dir, 'home'),
    dataDir: join(dir, 'data'),
    logsDir: join(dir, 'logs'),
    pidFile: join(dir, 'opensearch.pid'),
    logFile: join(dir, 'server.log'),
    lockFile: join(cacheDir, 'run', `opensearch-${version}.lock`),
    osUser,
  };
}

import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { withLock } from '../kafka/lock.ts';
import { runTool } from '../kafka/process.ts';
import { userIds } from '../server-user.ts';
import { LOCAL_POSTGRES_URL, PG_HOST, PG_PORT, PG_USER, type PostgresLayout, postgresLayout } from './layout.ts';

/** How a start ended: `started` launched it now; `already-running` found it serving and left it alone. */
export type PostgresStartOutcome = 'started' | 'already-running';

export interface PostgresInfo {
  readonly outcome: PostgresStartOutcome;
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly elapsedMs: number;
}

/** Settings written to postgresql.conf on first start: loopback only, a fixed port, sized for a 2-core test box. */
export const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: `'${PG_HOST}'`,
  port: String(PG_PORT),
  // TCP only: a socket in /var/run/postgresql would collide with a system cluster's.
  unix_socket_directories: "''",
  max_connections: '300',
  shared_buffers: '128MB',
  fsync: 'on',
  synchronous_commit: 'on',
  log_min_messages: 'warning',
  log_min_error_statement: 'panic',
  log_line_prefix: "'%m [%p] '",
};

/** Resolves true when the server at `url` answers `SELECT 1` within `timeoutMs`. Never rejects. */
export async function answers(url = LOCAL_POSTGRES_URL, timeoutMs = 2000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts the local PostgreSQL (initialising its cluster on first use) and resolves once it accepts connections.
 * Idempotent: a server already answering on the port is left alone. Data persists across restarts (tests make a
 * database of their own each, so nothing needs wiping).
 * @throws Error with one line naming what to do (install the package) or where to look (the server log).
 */
export async function startPostgres(layout: PostgresLayout = postgresLayout(), log: (line: string) => void = () => {}) {
  const started = Date.now();
  const info = (outcome: PostgresStartOutcome): PostgresInfo => ({
    outcome,
    url: LOCAL_POSTGRES_URL,
    dataDir: layout.dataDir,
    logFile: layout.logFile,
    elapsedMs: Date.now() - started,
  });
  if (await answers()) return info('already-running');
  return withLock(layout.lockFile, async () => {
    if (await answers()) return info('already-running');
    if (!existsSync(join(layout.binDir, 'initdb'))) {
      throw new Error(`PostgreSQL is not installed (no ${layout.binDir}/initdb): apt-get install -y postgresql`);
    }
    if (!existsSync(join(layout.dataDir, 'PG_VERSION'))) await initCluster(layout, log);
    log(`Starting PostgreSQL on ${PG_HOST}:${PG_PORT} (data ${layout.dataDir})`);
    // The address on the command line wins over postgresql.conf: a data dir made when the port was another keeps
    // working.
    const ctl = await asServerUser(layout, join(layout.binDir, 'pg_ctl'), [
      ...['-D', layout.dataDir, '-l', layout.logFile, '-o', `-p ${PG_PORT} -h ${PG_HOST}`, '-w', '-t', '60', 'start'],
    ]);
    if (ctl.code !== 0 || !(await answers(LOCAL_POSTGRES_URL, 5000))) {
      throw new Error(`PostgreSQL did not start (${lastLine(ctl.output)}); see ${layout.logFile}`);
    }
    return info('started');
  });
}

/** Stops the local PostgreSQL (fast shutdown: sessions are disconnected). @returns whether it was running. */
export async function stopPostgres(layout: PostgresLayout = postgresLayout()): Promise<boolean> {
  return withLock(layout.lockFile, async () => {
    if (!existsSync(join(layout.dataDir, 'postmaster.pid'))) return false;
    const ctl = await asServerUser(layout, join(layout.binDir, 'pg_ctl'), [
      ...['-D', layout.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'],
    ]);
    if (ctl.code !== 0 && !/Is server running\?/.test(ctl.output)) {
      throw new Error(`PostgreSQL did not stop (${lastLine(ctl.output)}); see ${layout.logFile}`);
    }
    return ctl.code === 0;
  });
}

async function initCluster(layout: PostgresLayout, log: (line: string) => void): Promise<void> {
  log(`Initialising a PostgreSQL cluster in ${layout.dataDir}`);
  mkdirSync(layout.dir, { recursive: true });
  if (layout.osUser !== undefined) {
    const ids = userIds(layout.osUser);
    if (!ids) throw new Error(`no OS user ${layout.osUser} to run PostgreSQL as (apt-get install postgresql)`);
    chownSync(layout.dir, ids.uid, ids.gid);
  }
  const init = await asServerUser(layout, join(layout.binDir, 'initdb'), [
    ...['-D', layout.dataDir, '-U', PG_USER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'],
  ]);
  if (init.code !== 0) throw new Error(`initdb failed: ${lastLine(init.output)}`);
  const conf = join(layout.dataDir, 'postgresql.conf');
  const lines = Object.entries(SERVER_SETTINGS).map(([k, v]) => `${k} = ${v}`);
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n# herald local server\n${lines.join('\n')}\n`);
}

/** Runs a PostgreSQL tool as the server's OS user (through runuser when we are root). */
function asServerUser(layout: PostgresLayout, command: string, args: string[]) {
  if (layout.osUser === undefined) return runTool(command, args, layout.dir);
  return runTool('runuser', ['-u', layout.osUser, '--', command, ...args], layout.dir);
}

function lastLine(output: string): string {
  return (
    output
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? 'no output'
  );
}

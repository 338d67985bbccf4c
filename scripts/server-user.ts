import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Servers that refuse to run as root (PostgreSQL, OpenSearch) run as an OS user of their own when these scripts
 * run as root. Such a user can only use folders it can reach: these helpers tell which, and create the user.
 */

/** Whether we are root (then servers run as another user). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Whether a user other than the owner can enter `dir`: every existing ancestor is searchable by others (`o+x`).
 * `/root` (0700) is not, so a cache dir in root's home is out of reach of a server user.
 */
export function othersCanEnter(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) return false;
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** The uid and gid of OS user `name`, or undefined when there is none. */
export function userIds(name: string): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Makes sure system user `name` exists (no home, no login shell), as a Debian package would create it.
 * @returns its ids.
 * @throws Error when it cannot be created.
 */
export function ensureSystemUser(name: string): { uid: number; gid: number } {
  const existing = userIds(name);
  if (existing) return existing;
  const add = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
    { encoding: 'utf8' },
  );
  const created = userIds(name);
  if (!created) throw new Error(`could not create OS user ${name}: ${(add.stderr || add.error?.message || '').trim()}`);
  return created;
}

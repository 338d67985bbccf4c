import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * This instance's id for `group`, kept in `<dataDir>/state/<group>.instance` so that it survives restarts (and the
 * loss of the store file beside it): a restarted instance uses the same transactional id and fences the one it
 * replaces at once. Without a data dir, a new id per process.
 */
export function instanceId(group: string, dataDir: string | undefined): string {
  if (dataDir === undefined) return randomUUID();
  const file = path.join(dataDir, 'state', `${encodeURIComponent(group)}.instance`);
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (/^[a-zA-Z0-9-]{1,64}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, id);
  fs.renameSync(`${file}.tmp`, file);
  return id;
}

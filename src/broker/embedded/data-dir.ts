/**
 * What a data directory remembers about itself: a marker written once the broker's storage was first created, so
 * that a `herald.db` deleted or truncated later is refused instead of silently starting an empty broker (while
 * other state beside it, such as delivery's status store, still remembers the events that were in it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { HeraldError } from '../../errors.ts';

/** The marker file: JSON `{ createdAt, storage }`, written when `storage` was first created in this directory. */
export const INITIALISED_FILE = 'herald.initialised';

interface Marker {
  createdAt: string;
  storage: string;
}

/** A file's size, or undefined when it is missing; a directory counts as present whatever its size. */
function sizeOf(file: string): number | undefined {
  try {
    const stat = fs.statSync(file);
    return stat.isDirectory() ? Number.POSITIVE_INFINITY : stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HeraldError('HERALD_STORAGE_FAILED', `cannot read ${file}`, { cause: err });
  }
}

function readMarker(file: string): Marker | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new HeraldError('HERALD_STORAGE_FAILED', `cannot read ${file}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as Partial<Marker>;
    return { createdAt: String(parsed.createdAt ?? 'an unknown date'), storage: String(parsed.storage ?? '') };
  } catch {
    // A torn marker still says the directory was initialised.
    return { createdAt: 'an unknown date', storage: '' };
  }
}

/**
 * Checks `storageFile` (a name inside `dataDir`) before it is opened. Throws `HERALD_STORAGE_MISSING`, naming the
 * file, when the directory was initialised but the file is missing or empty — unless `acceptEmpty`, which starts
 * afresh (and says so in the returned text, for the log).
 * @returns whether the marker still has to be written once the storage is open, and a warning when `acceptEmpty`
 *   let a lost storage through.
 */
export function checkInitialised(
  dataDir: string,
  storageFile: string,
  acceptEmpty: boolean,
): { markerNeeded: boolean; warning?: string } {
  const marker = readMarker(path.join(dataDir, INITIALISED_FILE));
  if (marker === undefined) return { markerNeeded: true };
  const warning = refuseLost(dataDir, storageFile, acceptEmpty, {
    since: `data directory ${dataDir} was initialised on ${marker.createdAt}`,
    gone: 'its topics, records and committed offsets are gone',
    without: 'with an empty broker',
    details: { initialisedAt: marker.createdAt },
  });
  return { markerNeeded: warning !== undefined, warning };
}

/** How {@link refuseLost} words a lost file: how it is known to have existed, what went with it, how to go on. */
export interface LostFile {
  since: string;
  gone: string;
  without: string;
  details?: Record<string, unknown>;
}

/**
 * Checks `storageFile` (a name inside `dataDir`, a file or a directory), which the directory is known to have had.
 * Present and not empty: `undefined`. Missing or empty: throws `HERALD_STORAGE_MISSING` naming the file — unless
 * `acceptEmpty`, which goes on without it and returns the warning to log.
 */
export function refuseLost(dataDir: string, storageFile: string, acceptEmpty: boolean, lost: LostFile): string | undefined {
  const file = path.join(dataDir, storageFile);
  const size = sizeOf(file);
  if (size !== undefined && size > 0) return undefined;
  const what = `${file} is ${size === undefined ? 'missing' : 'empty'}, but ${lost.since}`;
  if (acceptEmpty) return `${what}: starting ${lost.without}, as broker.acceptEmptyStorage allows`;
  throw new HeraldError(
    'HERALD_STORAGE_MISSING',
    `${what}: ${lost.gone}. Restore the file from a backup, or start with ` +
      `--set broker.acceptEmptyStorage=true to begin ${lost.without}.`,
    { details: { file, dataDir, ...lost.details }, retriable: false },
  );
}

/** Writes the marker durably (temporary file, fsync, rename, fsync of the directory). */
export function markInitialised(dataDir: string, storageFile: string): void {
  const file = path.join(dataDir, INITIALISED_FILE);
  const temporary = `${file}.tmp`;
  const marker: Marker = { createdAt: new Date().toISOString(), storage: storageFile };
  try {
    const fd = fs.openSync(temporary, 'w', 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify(marker)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
    const dir = fs.openSync(dataDir, 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw new HeraldError('HERALD_STORAGE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

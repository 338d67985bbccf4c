import fs from 'node:fs';
import path from 'node:path';

/** The directory of large batches, beside `herald.db` in the data directory: `bulk/<log id>/<base offset>.seg`. */
export const BULK_DIR = 'bulk';

/**
 * Batches at least this large, from Kafka producers, outside transactions, on normal topics, are kept in segment
 * files. kcat sends batches of up to 1 MB, Kafka's Java producer of up to 16 KiB by default.
 */
export const BULK_MIN_BYTES = 64 * 1024;

/**
 * A log's segment file grows to about this size, then a new one begins; retention deletes whole files. A topic's
 * `segment.bytes` sets its own. Kafka's default is 1 GiB; smaller files free space sooner, for a few more files.
 */
export const SEGMENT_BYTES = 64 * 1024 * 1024;

/** A record batch v2's first bytes, up to its last offset delta: base offset, length, epoch, magic, CRC, attributes. */
const HEAD_BYTES = 27;
/** The smallest record batch v2 (its header, no records). */
const MIN_BATCH_BYTES = 61;

/** One segment file of a log: its batches' last offsets in the order they were written. */
interface Segment {
  readonly file: string;
  size: number;
  fd: number | undefined;
  readonly lasts: number[];
}

/** Where a batch's bytes are. */
interface Placed {
  readonly segment: Segment;
  readonly position: number;
  readonly length: number;
}

/** A log's segments, oldest first, and where each batch is, by its last offset. */
interface LogFiles {
  readonly dir: string;
  readonly segments: Segment[];
  readonly placed: Map<number, Placed>;
  /** The older segment read last: its descriptor stays open beside the newest's, and no other's does. */
  reading?: Segment;
}

/** An append not yet named by a committed row: undone if that commit fails. */
interface Unsettled {
  readonly log: LogFiles;
  readonly segment: Segment;
  readonly position: number;
  readonly last: number;
  readonly created: boolean;
}

/**
 * Large batches in files, as Kafka keeps its logs: each log's batches appended, as the producer sent them (with
 * their offsets), to segment files of its own directory. A batch's row in the partition's table (see
 * `BatchTable`) has empty bytes; reads find them here by the batch's last offset.
 *
 * SQLite wrote such a batch twice (into its write-ahead log, then into the database by a checkpoint, 64 KiB pages
 * at a time, on the event loop); a file takes it once: kcat producing 1,000,000 200-byte lines (1 MB batches) into
 * the embedded listener ~1,440 → ~1,220 ms (BENCHMARKS.md, 2026-12-06 21:05).
 *
 * Ordering, so that a kill at any point leaves only bytes no row names, never a row without its bytes: a batch's
 * bytes are written before the commit of the row naming them ({@link undo} takes them back if that commit fails),
 * a log's directory and each new segment file are made durable before their first row, and a row's deletion is
 * durable before its bytes go. Under durability `'fsync'` the files written are synced with the write-ahead log
 * before anything is acknowledged. At the next start ({@link open}) a partly written batch at a file's end is cut
 * off, and `BatchTable.reconcileBulk` drops what rows and files do not agree on.
 */
export class BulkStore {
  readonly #root: string;
  readonly #syncs: boolean;
  readonly #segmentBytes: number;
  readonly #logs = new Map<number, LogFiles>();
  /** Segments written since the last {@link sync} began. */
  #dirty = new Set<Segment>();
  /** Appends since the last {@link keep}. */
  #unsettled: Unsettled[] = [];
  /** Syncs in flight: descriptors are closed only when none is (a sync may still use them). */
  #syncing = 0;
  #toClose: number[] = [];
  /** What start-up cut off the files, for the log. */
  readonly warnings: string[] = [];

  /**
   * Opens the bulk directory of `dataDir`, creating it if needed, and finds every log's batches, cutting off a
   * partly written batch at the end of a file (a kill during a write, or an OS crash). `syncs`: durability
   * `'fsync'` (new files' directory entries are synced as they are made); `segmentBytes`: where a file ends.
   */
  constructor(dataDir: string, syncs: boolean, segmentBytes = SEGMENT_BYTES) {
    this.#root = path.join(dataDir, BULK_DIR);
    this.#syncs = syncs;
    this.#segmentBytes = segmentBytes;
    if (!fs.existsSync(this.#root)) {
      fs.mkdirSync(this.#root);
      syncDir(dataDir);
    }
    for (const name of fs.readdirSync(this.#root)) {
      if (!/^\d+$/.test(name)) continue;
      this.#logs.set(Number(name), this.#open(path.join(this.#root, name)));
    }
  }

  /** The directory's path, named by errors. */
  get root(): string {
    return this.#root;
  }

  /** Whether log `logId` has a directory here. */
  has(logId: number): boolean {
    return this.#logs.has(logId);
  }

  /** Ids of every log with a directory here. */
  logIds(): number[] {
    return [...this.#logs.keys()];
  }

  /** Makes log `logId`'s directory, durably, before any row names bytes in it. */
  create(logId: number): void {
    if (this.#logs.has(logId)) return;
    const dir = path.join(this.#root, String(logId));
    fs.mkdirSync(dir, { recursive: true });
    syncDir(this.#root);
    this.#logs.set(logId, { dir, segments: [], placed: new Map() });
  }

  /**
   * Appends `batch` (its offsets in place), ending at offset `last`, to log `logId`'s newest segment, starting a
   * new one when it would grow past `segmentBytes` (the topic's `segment.bytes`, else the store's). Call {@link keep} once the row naming it is committed, {@link undo} if that fails.
   * Throws the file system's error, with nothing of the batch left.
   */
  append(logId: number, last: number, batch: Uint8Array, segmentBytes = this.#segmentBytes): void {
    const log = this.#log(logId);
    let segment = log.segments.at(-1);
    let created = false;
    if (segment === undefined || (segment.size > 0 && segment.size + batch.length > segmentBytes)) {
      const base = Number(Buffer.from(batch.buffer, batch.byteOffset, 8).readBigInt64BE(0));
      segment = { file: path.join(log.dir, `${String(base).padStart(20, '0')}.seg`), size: 0, fd: undefined, lasts: [] };
      segment.fd = fs.openSync(segment.file, 'wx+');
      log.segments.push(segment);
      if (this.#syncs) syncDir(log.dir);
      created = true;
    }
    const position = segment.size;
    try {
      let written = 0;
      while (written < batch.length) written += fs.writeSync(this.#fd(segment), batch, written, batch.length - written, position + written);
    } catch (err) {
      this.#cut(log, segment, position, created);
      throw err;
    }
    segment.size += batch.length;
    segment.lasts.push(last);
    log.placed.set(last, { segment, position, length: batch.length });
    this.#dirty.add(segment);
    this.#unsettled.push({ log, segment, position, last, created });
  }

  /** The appends since the last call are named by committed rows. */
  keep(): void {
    this.#unsettled = [];
  }

  /** The commit naming the appends since the last {@link keep} failed: they are taken back, newest first. */
  undo(): void {
    for (let i = this.#unsettled.length - 1; i >= 0; i--) {
      const { log, segment, position, last, created } = this.#unsettled[i];
      log.placed.delete(last);
      segment.lasts.pop();
      this.#cut(log, segment, position, created);
    }
    this.#unsettled = [];
  }

  /** The bytes of log `logId`'s batch ending at `last`, or undefined when none is here. */
  read(logId: number, last: number): Buffer | undefined {
    const log = this.#logs.get(logId);
    const placed = log?.placed.get(last);
    if (log === undefined || placed === undefined) return undefined;
    if (placed.segment !== log.segments.at(-1) && placed.segment !== log.reading) {
      // Readers move through a log in order: one older file open at a time keeps descriptors to two a log.
      if (log.reading !== undefined && log.reading !== log.segments.at(-1)) this.#release(log.reading);
      log.reading = placed.segment;
    }
    const out = Buffer.allocUnsafe(placed.length);
    let read = 0;
    while (read < out.length) {
      const n = fs.readSync(this.#fd(placed.segment), out, read, out.length - read, placed.position + read);
      if (n === 0) throw new Error(`${placed.segment.file} ends before the batch at ${placed.position}`);
      read += n;
    }
    return out;
  }

  /** The length of log `logId`'s batch ending at `last`, or 0 when none is here. */
  length(logId: number, last: number): number {
    return this.#logs.get(logId)?.placed.get(last)?.length ?? 0;
  }

  /** The last offsets of log `logId`'s batches here, in the order they were written. */
  lasts(logId: number): number[] {
    return this.#logs.get(logId)?.segments.flatMap((s) => s.lasts) ?? [];
  }

  /** Deletes log `logId`'s segments whose batches are all wholly below `offset` (their rows' deletion is durable). */
  deleteBelow(logId: number, offset: number): void {
    const log = this.#logs.get(logId);
    if (log === undefined) return;
    while (log.segments.length > 0 && (log.segments[0].lasts.at(-1) ?? -1) < offset) this.#remove(log, log.segments[0]);
  }

  /**
   * At start: forgets log `logId`'s batches that `named` (the rows with empty bytes) does not hold — bytes of a
   * write whose commit a kill or an OS crash prevented, or of rows deleted before their bytes went — cutting them off
   * the end of the newest file and deleting files none of whose batches is named.
   */
  forgetUnnamed(logId: number, named: Set<number>): void {
    const log = this.#logs.get(logId);
    if (log === undefined) return;
    for (const segment of [...log.segments]) {
      if (!segment.lasts.some((last) => named.has(last))) {
        this.#remove(log, segment);
        continue;
      }
      for (const last of segment.lasts) if (!named.has(last)) log.placed.delete(last);
    }
    const newest = log.segments.at(-1);
    if (newest === undefined) return;
    let keep = newest.lasts.length;
    while (!named.has(newest.lasts[keep - 1])) keep--;
    if (keep === newest.lasts.length) return;
    const end = log.placed.get(newest.lasts[keep - 1])!;
    newest.lasts.length = keep;
    fs.truncateSync(newest.file, end.position + end.length);
    newest.size = end.position + end.length;
  }

  /** Deletes log `logId`'s directory and everything in it (its rows are gone, or never were named). */
  drop(logId: number): void {
    const log = this.#logs.get(logId);
    if (log !== undefined) for (const segment of log.segments) this.#release(segment);
    this.#logs.delete(logId);
    fs.rmSync(path.join(this.#root, String(logId)), { recursive: true, force: true });
  }

  /** Syncs the segments written since the last sync began, off the event loop. */
  sync(): Promise<void> {
    if (this.#dirty.size === 0) return Promise.resolve();
    const segments = [...this.#dirty];
    this.#dirty = new Set();
    this.#syncing++;
    const syncs = segments.map((segment) => new Promise<void>((resolve, reject) => fs.fdatasync(this.#fd(segment), (err) => (err ? reject(err) : resolve()))));
    return Promise.all(syncs).then(
      () => this.#synced(),
      (err: unknown) => {
        this.#synced();
        throw err;
      },
    );
  }

  /** Syncs the segments written since the last sync began, on the event loop (for rare work such as a migration). */
  syncNow(): void {
    for (const segment of this.#dirty) fs.fdatasyncSync(this.#fd(segment));
    this.#dirty = new Set();
  }

  /** Closes every descriptor; call with no {@link sync} in flight. */
  close(): void {
    for (const log of this.#logs.values()) for (const segment of log.segments) this.#release(segment);
    for (const fd of this.#toClose) fs.closeSync(fd);
    this.#toClose = [];
  }

  #log(logId: number): LogFiles {
    const log = this.#logs.get(logId);
    if (log === undefined) throw new Error(`log ${logId} has no bulk directory`);
    return log;
  }

  #fd(segment: Segment): number {
    segment.fd ??= fs.openSync(segment.file, 'r+');
    return segment.fd;
  }

  /** Cuts `segment` back to `position` after a failed write, or deletes it when this write `created` it. */
  #cut(log: LogFiles, segment: Segment, position: number, created: boolean): void {
    segment.size = position;
    try {
      if (created && position === 0) this.#remove(log, segment);
      else fs.ftruncateSync(this.#fd(segment), position);
    } catch {
      // Left as it is: the bytes past `position` are named by nothing, and cut off or removed at the next start.
    }
  }

  #remove(log: LogFiles, segment: Segment): void {
    for (const last of segment.lasts) log.placed.delete(last);
    if (log.reading === segment) log.reading = undefined;
    log.segments.splice(log.segments.indexOf(segment), 1);
    this.#release(segment);
    this.#dirty.delete(segment);
    fs.rmSync(segment.file, { force: true });
  }

  #release(segment: Segment): void {
    if (segment.fd === undefined) return;
    if (this.#syncing > 0) this.#toClose.push(segment.fd);
    else fs.closeSync(segment.fd);
    segment.fd = undefined;
  }

  #synced(): void {
    if (--this.#syncing > 0) return;
    for (const fd of this.#toClose) fs.closeSync(fd);
    this.#toClose = [];
  }

  /** Reads a log directory's segments, cutting off what follows the last whole batch of each. */
  #open(dir: string): LogFiles {
    const log: LogFiles = { dir, segments: [], placed: new Map() };
    const names = fs.readdirSync(dir).filter((name) => /^\d{20}\.seg$/.test(name)).sort();
    const head = Buffer.alloc(HEAD_BYTES);
    let previous = -1;
    for (const name of names) {
      const file = path.join(dir, name);
      const segment: Segment = { file, size: 0, fd: undefined, lasts: [] };
      const fd = fs.openSync(file, 'r+');
      try {
        const size = fs.fstatSync(fd).size;
        let position = 0;
        while (position + HEAD_BYTES <= size && fs.readSync(fd, head, 0, HEAD_BYTES, position) === HEAD_BYTES) {
          const base = Number(head.readBigInt64BE(0));
          const length = 12 + head.readInt32BE(8);
          const last = base + head.readInt32BE(23);
          if (head[16] !== 2 || length < MIN_BATCH_BYTES || position + length > size || base <= previous || last < base) break;
          log.placed.set(last, { segment, position, length });
          segment.lasts.push(last);
          previous = last;
          position += length;
        }
        if (position < size) {
          fs.ftruncateSync(fd, position);
          this.warnings.push(`${file}: cut off ${size - position} bytes after its last whole batch`);
        }
        segment.size = position;
      } finally {
        fs.closeSync(fd);
      }
      if (segment.lasts.length === 0) fs.rmSync(file, { force: true });
      else log.segments.push(segment);
    }
    return log;
  }
}

/** Syncs a directory, so that the entries made in it survive an OS crash. */
function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

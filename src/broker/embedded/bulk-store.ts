import fs from 'node:fs';
import path from 'node:path';

/** The directory of large batches, beside `herald.db` in the data directory: `bulk/<log id>/<base offset>.seg`. */
export const BULK_DIR = 'bulk';

/**
 * Batches at least this large, outside transactions, on normal topics, are kept in segment files: from Kafka
 * producers (the Java producer sends batches of up to 16 KiB by default, kcat and franz-go of up to 1 MB), and runs
 * of records Herald's producers gave in one write (batch ingest's hundreds a partition). SQLite keeps a smaller one
 * in the row's own page.
 */
export const BULK_MIN_BYTES = 64 * 1024;

/**
 * A log's segment file grows to about this size, then a new one begins; retention deletes whole files. A topic's
 * `segment.bytes` sets its own. Kafka's default is 1 GiB; smaller files free space sooner, for a few more files.
 */
export const SEGMENT_BYTES = 64 * 1024 * 1024;

/** The largest file: Kafka's `segment.bytes` is a 32-bit integer, and a pointer's position 32 bits unsigned. */
const MAX_SEGMENT_BYTES = 2 ** 31 - 1;

/**
 * Where a batch is, kept as the bytes of its row in the partition's table: the base offset of its segment file
 * (8 bytes), its position there and its length (4 bytes each). A record batch is at least 61 bytes, so a row's
 * bytes of this length are always a pointer.
 */
export const POINTER_BYTES = 16;

/** Whether a row's bytes are a pointer into the bulk files rather than a batch. */
export function isPointer(bytes: Uint8Array): boolean {
  return bytes.length === POINTER_BYTES;
}

/** The length of the batch `pointer` points at. */
export function pointedLength(pointer: Uint8Array): number {
  return view(pointer).readUInt32BE(12);
}

/** What a pointer says: the base offset of the batch's file, and where in it the batch begins and ends. */
function place(pointer: Uint8Array): { base: number; position: number; end: number } {
  const p = view(pointer);
  const position = p.readUInt32BE(8);
  return { base: Number(p.readBigInt64BE(0)), position, end: position + p.readUInt32BE(12) };
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One segment file of a log: its base offset (in its name) and size. */
interface Segment {
  readonly base: number;
  readonly file: string;
  size: number;
  fd: number | undefined;
}

/** A log's segments, oldest first. */
interface LogFiles {
  readonly dir: string;
  readonly segments: Segment[];
  /** The older segment read last: its descriptor stays open beside the newest's, and no other's does. */
  reading?: Segment;
}

/** An append not yet named by a committed row: undone if that commit fails. */
interface Unsettled {
  readonly log: LogFiles;
  readonly segment: Segment;
  readonly position: number;
  readonly created: boolean;
}

/**
 * Large batches in files, as Kafka keeps its logs: each log's batches appended, as the producer sent them (with
 * their offsets), to segment files of its own directory. A batch's row in the partition's table (see
 * `BatchTable`) holds a pointer to it (see {@link POINTER_BYTES}) instead of its bytes, so this store keeps only
 * its files' names and sizes: nothing a batch, and nothing to read at start.
 *
 * SQLite wrote such a batch twice (into its write-ahead log, then into the database by a checkpoint, 64 KiB pages
 * at a time, on the event loop); a file takes it once: kcat producing 1,000,000 200-byte lines (1 MB batches) into
 * the embedded listener ~1,000 → ~860 ms side by side, 0.80 → 0.91× of the Kafka node (BENCHMARKS.md, 2026-12-06
 * 21:00).
 *
 * Ordering, so that a kill at any point leaves only bytes no row names, never a row without its bytes: a batch's
 * bytes are written before the commit of the row naming them ({@link undo} takes them back if that commit fails),
 * a log's directory and each new segment file are made durable before their first row, and a row's deletion is
 * durable before its bytes go. Under durability `'fsync'` the files written are synced with the write-ahead log
 * before anything is acknowledged. At the next start `BatchTable.reconcileBulk` drops the rows whose batch is not
 * in the files (an OS crash lost it) and cuts off what no row names ({@link keepOnly}).
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

  /**
   * Opens the bulk directory of `dataDir`, creating it if needed, and lists every log's files. `syncs`: durability
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
      const dir = path.join(this.#root, name);
      const segments = fs
        .readdirSync(dir)
        .filter((file) => /^\d{20}\.seg$/.test(file))
        .sort()
        .map((file) => ({ base: Number(file.slice(0, 20)), file: path.join(dir, file), size: fs.statSync(path.join(dir, file)).size, fd: undefined }));
      this.#logs.set(Number(name), { dir, segments });
    }
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
    this.#logs.set(logId, { dir, segments: [] });
  }

  /**
   * Appends `batch` (its offsets in place) to log `logId`'s newest segment, starting a new one when it would grow
   * past `segmentBytes` (the topic's `segment.bytes`, else the store's). Returns the pointer its row keeps. Call
   * {@link keep} once that row is committed, {@link undo} if that fails or this throws (the file system's error).
   */
  append(logId: number, batch: Uint8Array, segmentBytes = this.#segmentBytes): Buffer {
    const log = this.#log(logId);
    let segment = log.segments.at(-1);
    let created = false;
    if (segment === undefined || (segment.size > 0 && segment.size + batch.length > Math.min(segmentBytes, MAX_SEGMENT_BYTES))) {
      const base = Number(view(batch).readBigInt64BE(0));
      segment = { base, file: path.join(log.dir, `${String(base).padStart(20, '0')}.seg`), size: 0, fd: undefined };
      segment.fd = fs.openSync(segment.file, 'wx+');
      log.segments.push(segment);
      if (this.#syncs) syncDir(log.dir);
      created = true;
    }
    const position = segment.size;
    segment.size += batch.length;
    this.#dirty.add(segment);
    this.#unsettled.push({ log, segment, position, created });
    let written = 0;
    while (written < batch.length) written += fs.writeSync(this.#fd(segment), batch, written, batch.length - written, position + written);
    const pointer = Buffer.allocUnsafe(POINTER_BYTES);
    pointer.writeBigInt64BE(BigInt(segment.base), 0);
    pointer.writeUInt32BE(position, 8);
    pointer.writeUInt32BE(batch.length, 12);
    return pointer;
  }

  /** The appends since the last call are named by committed rows. */
  keep(): void {
    this.#unsettled = [];
  }

  /** The commit naming the appends since the last {@link keep} failed: they are taken back, newest first. */
  undo(): void {
    for (let i = this.#unsettled.length - 1; i >= 0; i--) {
      const { log, segment, position, created } = this.#unsettled[i];
      segment.size = position;
      try {
        if (created && position === 0) this.#remove(log, segment);
        else fs.ftruncateSync(this.#fd(segment), position);
      } catch {
        // Left as it is: the bytes past `position` are named by nothing, and cut off at the next start.
      }
    }
    this.#unsettled = [];
  }

  /** The batch `pointer` (a row's bytes) points at in log `logId`'s files. */
  read(logId: number, pointer: Uint8Array): Buffer {
    return this.readRun(logId, [pointer])[0];
  }

  /**
   * The batches `pointers` point at in log `logId`'s files (in offset order), as few buffers as they lie one after
   * another in a file: one read a run, where a read a batch cost a call each.
   */
  readRun(logId: number, pointers: readonly Uint8Array[]): Buffer[] {
    const log = this.#log(logId);
    const out: Buffer[] = [];
    let i = 0;
    while (i < pointers.length) {
      const first = place(pointers[i]);
      let end = first.end;
      let j = i + 1;
      for (; j < pointers.length; j++) {
        const next = place(pointers[j]);
        if (next.base !== first.base || next.position !== end) break;
        end = next.end;
      }
      out.push(this.#readAt(log, this.#segment(log, first.base), first.position, end - first.position));
      i = j;
    }
    return out;
  }

  /** Whether the batch `pointer` points at is whole in log `logId`'s files. */
  holds(logId: number, pointer: Uint8Array): boolean {
    const log = this.#logs.get(logId);
    if (log === undefined) return false;
    const { base, end } = place(pointer);
    const segment = log.segments.find((s) => s.base === base);
    return segment !== undefined && end <= segment.size;
  }

  /**
   * At start, once rows whose batch is not here are gone: keeps only log `logId`'s bytes from the batch `oldest`
   * points at to the end of the one `newest` points at — cutting off what follows (bytes of a write whose commit a
   * kill or a crash prevented) and deleting the files wholly before or after (rows deleted before their bytes went,
   * or never committed). Without pointers (no row names anything here), every file goes.
   */
  keepOnly(logId: number, oldest: Uint8Array | undefined, newest: Uint8Array | undefined): void {
    const log = this.#logs.get(logId);
    if (log === undefined) return;
    if (oldest === undefined || newest === undefined) {
      for (const segment of [...log.segments]) this.#remove(log, segment);
      return;
    }
    const from = place(oldest).base;
    const { base: to, end } = place(newest);
    for (const segment of [...log.segments]) {
      if (segment.base < from || segment.base > to) this.#remove(log, segment);
      else if (segment.base === to && segment.size > end) {
        fs.truncateSync(segment.file, end);
        segment.size = end;
      }
    }
  }

  /**
   * Deletes log `logId`'s files holding only batches wholly below `offset` (their rows' deletion is durable): each
   * file but the newest, once the next one begins at or below `offset`.
   */
  deleteBelow(logId: number, offset: number): void {
    const log = this.#logs.get(logId);
    if (log === undefined) return;
    while (log.segments.length > 1 && log.segments[1].base <= offset) this.#remove(log, log.segments[0]);
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

  #segment(log: LogFiles, base: number): Segment {
    const segments = log.segments;
    // The newest file is read most: the end of the log.
    for (let i = segments.length - 1; i >= 0; i--) if (segments[i].base === base) return segments[i];
    throw new Error(`${log.dir} has no file for the batches from offset ${base}`);
  }

  #fd(segment: Segment): number {
    segment.fd ??= fs.openSync(segment.file, 'r+');
    return segment.fd;
  }

  /** `length` bytes of `segment` from `position`. */
  #readAt(log: LogFiles, segment: Segment, position: number, length: number): Buffer {
    if (segment !== log.segments.at(-1) && segment !== log.reading) {
      // Readers move through a log in order: one older file open at a time keeps descriptors to two a log.
      if (log.reading !== undefined && log.reading !== log.segments.at(-1)) this.#release(log.reading);
      log.reading = segment;
    }
    const out = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = fs.readSync(this.#fd(segment), out, read, length - read, position + read);
      if (n === 0) throw new Error(`${segment.file} ends before the bytes at ${position}`);
      read += n;
    }
    return out;
  }

  #remove(log: LogFiles, segment: Segment): void {
    log.segments.splice(log.segments.indexOf(segment), 1);
    if (log.reading === segment) log.reading = undefined;
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

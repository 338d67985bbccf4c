import type { Logger } from 'pino';
import { HeraldError } from '../errors.ts';
import { scriptBeside, ThreadLink } from '../kit/thread-link.ts';
import { TurnBatcher } from '../kit/turn-batcher.ts';
import type { StoreChange, StoreWrite } from './store.ts';

/**
 * What the thread is sent besides ThreadLink's `close`: the writes of one turn of the event loop, applied in order
 * in one transaction (all of them or, if one fails, none).
 */
export type StoreWriterRequest = {
  type: 'write';
  ids: number[];
  /**
   * The writes' changes one after the other, packed by {@link packChanges} into one transferred buffer (cloning
   * many small buffers, or transferring one per write, costs more).
   */
  changes: ArrayBuffer;
  /** How many of `changes` each write has. */
  counts: number[];
  /** Each write's checkpoints. */
  checkpoints: [partition: number, offset: number][][];
};

/** Changes as one buffer: per change, partition (u32), key length (u32), key (UTF-8), value length (i32, -1 for a
 * delete), value. */
export function packChanges(changes: readonly StoreChange[]): ArrayBuffer {
  let size = 0;
  const keys = changes.map((c) => {
    const key = Buffer.from(c.key, 'utf8');
    size += 12 + key.length + (c.value?.length ?? 0);
    return key;
  });
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  changes.forEach((c, i) => {
    at = out.writeUInt32LE(c.partition, at);
    at = out.writeUInt32LE(keys[i].length, at);
    at += keys[i].copy(out, at);
    at = out.writeInt32LE(c.value === null ? -1 : c.value.length, at);
    if (c.value !== null) at += c.value.copy(out, at);
  });
  return out.buffer as ArrayBuffer;
}

export function unpackChanges(packed: ArrayBuffer): StoreChange[] {
  const bytes = Buffer.from(packed);
  const out: StoreChange[] = [];
  let at = 0;
  while (at < bytes.length) {
    const partition = bytes.readUInt32LE(at);
    const keyLength = bytes.readUInt32LE(at + 4);
    const key = bytes.toString('utf8', at + 8, at + 8 + keyLength);
    at += 8 + keyLength;
    const valueLength = bytes.readInt32LE(at);
    at += 4;
    const value = valueLength < 0 ? null : bytes.subarray(at, at + valueLength);
    at += Math.max(0, valueLength);
    out.push({ partition, key, value });
  }
  return out;
}

/**
 * Writes are sent to the thread at most this often. Nobody waits for them (readers see pending values, see
 * `CommittedTable`), and each message and its reply cost the event loop about 10 µs: posting every turn was 5% of
 * the wallet's main thread under deposit load, with its three processors' writers.
 */
const POST_EVERY_MS = 5;

/** What the thread answers besides ThreadLink's `closed`: for all the writes of one request. */
export type StoreWriterReply = { type: 'written'; ids: number[] } | { type: 'failed'; ids: number[]; message: string };

interface QueuedWrite {
  id: number;
  changes: readonly StoreChange[];
  checkpoints: [number, number][];
}

/**
 * Writes to a SQLite store file on a thread of its own (write-behind): `write` resolves once the write — its changes
 * and checkpoints, atomically — is committed. Writes are applied in the order given. Whoever reads the file
 * meanwhile must read its own pending writes first (see `CommittedTable`): a write is visible in the file only once
 * it resolved. Once the thread died or a write failed, every later write fails: applying them would move
 * checkpoints past lost changes (the owner restores from the changelog instead).
 */
export class StoreWriter {
  readonly #thread: ThreadLink<StoreWriterRequest, StoreWriterReply>;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  readonly #queue = new TurnBatcher<QueuedWrite>((writes) => this.#post(writes), POST_EVERY_MS);
  #nextId = 0;
  #closed: Promise<void> | undefined;
  #dead: Error | undefined;

  constructor(file: string, logger: Logger) {
    this.#thread = new ThreadLink<StoreWriterRequest, StoreWriterReply>({
      script: scriptBeside(import.meta.url, './store-writer-thread'),
      workerData: { file },
      name: 'store writer thread',
      logger,
      // Owners flush and close it on stop; an owner that never stops must not keep the process alive.
      unref: true,
      onMessage: (reply) => {
        for (const id of reply.ids) {
          const waiting = this.#waiting.get(id);
          this.#waiting.delete(id);
          if (reply.type === 'written') waiting?.resolve();
          else waiting?.reject(new HeraldError('HERALD_STORAGE_FAILED', `store write failed: ${reply.message}`));
        }
      },
      onExit: (code) => this.#fail(new Error(`the store writer thread exited (${code})`)),
    });
    // Started now, so that a file the thread cannot open fails the first write rather than a later one.
    this.#thread.start();
  }

  /** Queues `write`; its values are read when it is sent (within a few ms), so they must not change meanwhile. */
  write(write: StoreWrite): Promise<void> {
    if (this.#dead !== undefined || this.#closed !== undefined)
      return Promise.reject(new HeraldError('HERALD_STORAGE_FAILED', 'the store writer is closed', { cause: this.#dead }));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#queue.push({ id, changes: write.changes, checkpoints: [...write.checkpoints] });
    });
  }

  /**
   * One message to the thread for the writes of {@link POST_EVERY_MS}: a processor commits each partition's batch
   * on its own, and posting each write cost 5% of the wallet's CPU under deposit load (several writes a turn, a
   * `postMessage` and a reply each).
   */
  #post(writes: QueuedWrite[]): void {
    // The thread died during the turn (#fail answered the writes): a post would start a new one.
    if (this.#dead !== undefined) return;
    const request: StoreWriterRequest = {
      type: 'write',
      ids: writes.map((w) => w.id),
      changes: packChanges(writes.flatMap((w) => w.changes)),
      counts: writes.map((w) => w.changes.length),
      checkpoints: writes.map((w) => w.checkpoints),
    };
    this.#thread.post(request, [request.changes]);
  }

  /** Lets the writes sent finish (the thread answers them before it reads `close`), then stops the thread. */
  close(): Promise<void> {
    if (this.#closed === undefined) this.#queue.flushNow();
    this.#closed ??= this.#thread.close().then(() => {
      // Only a thread that did not close in time leaves writes unanswered; they are lost, so say so.
      if (this.#waiting.size > 0) this.#fail(new Error('the store writer thread was stopped before the write was done'));
    });
    return this.#closed;
  }

  #fail(err: Error): void {
    this.#dead ??= err;
    for (const waiting of this.#waiting.values()) {
      waiting.reject(new HeraldError('HERALD_STORAGE_FAILED', `store write lost: ${err.message}`, { cause: err }));
    }
    this.#waiting.clear();
  }
}

import fs from 'node:fs';

/**
 * A SQLite database's write-ahead log file, for syncing it (durability `fsync` with `synchronous = NORMAL`): opened
 * on first use (SQLite keeps the file while its connection is open) and closed with the connection.
 */
export class WalFile {
  readonly #path: string;
  #fd: number | undefined;

  /** `path`: the log, `<database file>-wal`. */
  constructor(path: string) {
    this.#path = path;
  }

  /** One `fdatasync` on libuv's thread pool, while the event loop goes on. Rejects with the file system's error. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#open();
      } catch (err) {
        return reject(err);
      }
      fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** One `fdatasync` now, on the event loop. Throws the file system's error. */
  syncNow(): void {
    fs.fdatasyncSync(this.#open());
  }

  #open(): number {
    this.#fd ??= fs.openSync(this.#path, 'r+');
    return this.#fd;
  }

  /** Closes the descriptor; call with no {@link sync} in flight. */
  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }
}

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Transferable, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/** What every thread behind a {@link ThreadLink} understands and answers: close, then say so. */
export type CloseMessage = { type: 'close' };
export type ClosedMessage = { type: 'closed' };

export interface ThreadLinkOptions<Out> {
  /** The thread's entry. */
  script: URL;
  workerData?: unknown;
  /** Names the thread in logs, and the OS thread (`/proc/<pid>/task/<tid>/comm`, `top -H`; its first 15 bytes). */
  name: string;
  logger: Logger;
  /** Every message from the thread but `closed`. */
  onMessage(message: Out): void;
  /** The thread ended without being closed: whatever it was asked and did not answer is lost. */
  onExit(code: number): void;
  /** A new thread started: what it must be told before anything else (its configuration). */
  onStart?(post: (message: unknown) => void): void;
  /** The thread does not keep the process alive (for an owner that may never be stopped). Default false. */
  unref?: boolean;
}

/**
 * The URL of the module `name` (no extension) beside the module at `base` (its `import.meta.url`), with `base`'s own
 * extension: `.ts` when run from source, `.js` when run from the built package — a thread's entry is a URL, which
 * the build does not rewrite as it rewrites imports.
 */
export function scriptBeside(base: string, name: string): URL {
  return new URL(`${name}${extname(fileURLToPath(base))}`, base);
}

/** How long `close` waits for the thread to close what it holds before terminating it. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * A worker thread that starts when first needed and again after it dies, and is closed with a `close` message
 * that it answers with `closed` once it has let go of what it holds (connections, a database), or terminated
 * after {@link CLOSE_TIMEOUT_MS}.
 */
export class ThreadLink<In, Out> {
  readonly #options: ThreadLinkOptions<Out>;
  #worker: Worker | undefined;

  constructor(options: ThreadLinkOptions<Out>) {
    this.#options = options;
  }

  /**
   * Posts to the thread, starting one if none runs. `transfer`: buffers of the message moved to the thread instead
   * of copied (unusable here afterwards).
   */
  post(message: In, transfer?: readonly Transferable[]): void {
    (this.#worker ?? this.#start()).postMessage(message, transfer);
  }

  /** Posts only to a thread that runs (a thread started later is told through `onStart`). */
  postIfRunning(message: In): void {
    this.#worker?.postMessage(message);
  }

  /** Starts a thread unless one runs. */
  start(): void {
    if (this.#worker === undefined) this.#start();
  }

  /** Closes the running thread, if any; `onExit` is not called for it. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker === undefined) return;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.on('message', (message: { type?: string }) => message.type === 'closed' && done());
      worker.once('exit', done);
    });
    worker.postMessage({ type: 'close' } satisfies CloseMessage);
    await closed;
    await worker.terminate();
  }

  #start(): Worker {
    const { script, workerData, name, logger, onMessage, onExit, onStart } = this.#options;
    const worker = new Worker(script, { workerData, name });
    if (this.#options.unref === true) worker.unref();
    worker.on('message', (message: Out | ClosedMessage) => {
      if ((message as ClosedMessage).type !== 'closed') onMessage(message as Out);
    });
    worker.on('error', (err) => logger.error({ err }, `the ${name} failed`));
    worker.once('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      logger.error({ code }, `the ${name} stopped; the next request starts another`);
      onExit(code);
    });
    this.#worker = worker;
    onStart?.((message) => worker.postMessage(message));
    return worker;
  }
}

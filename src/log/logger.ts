import { randomUUID } from 'node:crypto';
import pino, { type Logger, type StreamEntry } from 'pino';
import roll from 'pino-roll';
import type { PlatformConfig } from '../config/schema.ts';
import { traceMixin } from '../telemetry/log-mixin.ts';
import { prettyStream } from './pretty.ts';
import { maskSecrets } from '../kit/secrets.ts';

export type { Logger } from 'pino';

/** A logger and the means to flush and close the files behind it. */
export interface LogHandle {
  logger: Logger;
  /** Flushes and closes the rotated file, if any. */
  close(): Promise<void>;
}

/**
 * Logs (pino) to `stdout` and, when `log.file` is set, to that file rotated by size and by time, keeping at most
 * `log.rotate.keep` rotated files beside the active one. `stdout` gets JSON lines, or readable lines with
 * `log.format: pretty` (and with `auto`, the default, when it is a terminal); the file always gets JSON.
 */
export async function createLogger(
  config: PlatformConfig['log'],
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<LogHandle> {
  const tty = (stdout as { isTTY?: boolean }).isTTY === true;
  const pretty = config.format === 'pretty' || (config.format === 'auto' && tty);
  const direct = !pretty && stdout === process.stdout ? asyncStdout() : undefined;
  const streams: StreamEntry[] = [{ stream: pretty ? prettyStream(stdout, { colour: tty }) : (direct ?? stdout) }];
  const file = config.file
    ? await roll({
        file: config.file,
        size: config.rotate.size,
        frequency: /^\d+$/.test(config.rotate.frequency)
          ? Number(config.rotate.frequency)
          : (config.rotate.frequency as 'daily' | 'hourly'),
        limit: { count: config.rotate.keep },
        mkdir: true,
      })
    : undefined;
  if (file) streams.push({ stream: file });
  const logger = pino(
    {
      level: config.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceMixin,
      // Secrets never reach a log line: every logged object, and every serialised error, goes through the one
      // masking function (secret-bearing keys, URL passwords, secret query parameters, bearer credentials).
      formatters: { log: (object) => maskSecrets(object) },
      serializers: { err: maskedError, error: maskedError },
      hooks: { logMethod: maskMessage },
    },
    pino.multistream(streams.map((s) => ({ ...s, level: 'trace' as const }))),
  );
  return {
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        direct?.flushSync();
        if (!file) return resolve();
        file.once('close', () => resolve());
        file.once('error', () => resolve());
        file.end();
      }),
  };
}

/** The one stdout destination of this process, shared by every logger made in it. */
let stdoutDestination: ReturnType<typeof pino.destination> | undefined;

/**
 * JSON lines to the process's stdout without a system call per line. Node writes to a file or a pipe on stdout
 * synchronously, one `write` per line; this destination writes asynchronously and gathers the lines logged while a
 * write is under way into the next one, so a busy process makes few writes and an idle one writes each line at
 * once. What is still buffered is written out when the process exits (`close`, and the `exit` event, which also
 * runs on `process.exit` after a fatal error). With three lines per request (`npm start` under produce load) the
 * writes were 4% of the process's CPU (BENCHMARKS.md, Ingest).
 */
function asyncStdout(): ReturnType<typeof pino.destination> {
  if (stdoutDestination !== undefined) return stdoutDestination;
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing more can be done for a stdout that refuses writes while the process ends.
    }
  });
  stdoutDestination = destination;
  return destination;
}

function maskedError(err: unknown): unknown {
  return err instanceof Error ? maskSecrets(pino.stdSerializers.err(err)) : maskSecrets(err);
}

/** Masks the message string (and format arguments) of a log call. */
function maskMessage(this: Logger, args: Parameters<Logger['info']>, method: (...args: unknown[]) => void): void {
  method.apply(
    this,
    args.map((arg) => (typeof arg === 'string' ? maskSecrets(arg) : arg)),
  );
}

/** A new correlation id for a request or a message that arrived without one. */
export function newCorrelationId(): string {
  return randomUUID();
}

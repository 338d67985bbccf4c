import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where a command writes; injectable so tests capture output. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Where stdin-reading commands read (default `process.stdin`). */
  stdin?: NodeJS.ReadableStream;
  /** Aborted when the user interrupts (Ctrl-C): long-running commands (`consume --follow`) stop cleanly. */
  signal?: AbortSignal;
}

/** A `herald` sub-command. `run` resolves with the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage lines after `herald <name>`, e.g. `[service…] [options]`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Option lines for `herald <name> --help`. */
  readonly help?: string[];
  run(parsed: Parsed, io: Io): Promise<number>;
}

export type Parsed = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

/** A mistake in how the command was called: reported as one line plus usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `--offset -1` as `--offset=-1`: a negative number after an option that takes a value is that value (kcat's
 * `-o -10`), not another option.
 */
function joinNegativeValues(command: Command, argv: string[]): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(command.options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short !== undefined) takesValue.add(`-${option.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (takesValue.has(argv[i]) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(argv[i].startsWith('--') ? `${argv[i]}=${next}` : `${argv[i]}${next}`);
      i += 1;
    } else out.push(argv[i]);
  }
  return out;
}

/** Parses argv strictly for `command`: unknown flags and missing values are usage errors. */
export function parseCommandArgs(command: Command, argv: string[]): Parsed {
  try {
    const args = joinNegativeValues(command, argv);
    return parseArgs({ args, options: command.options, strict: true, allowPositionals: true }) as Parsed;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0].replace(/\. To specify.*$/, ''));
  }
}

/** Writes one line. */
export function say(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}

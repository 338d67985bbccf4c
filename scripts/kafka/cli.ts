import { KafkaSetupError } from './errors.ts';

/**
 * Runs a script's main: progress goes to stdout; any failure becomes ONE line on stderr (`<name>: <message>`)
 * and exit code 1. Unexpected errors keep their stack behind HERALD_DEBUG=1 so the usual output stays one line.
 */
export async function runCli(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${name}: ${message.split('\n')[0]}\n`);
    if (!(err instanceof KafkaSetupError) && process.env.HERALD_DEBUG === '1') console.error(err);
    process.exitCode = 1;
  }
}

/** Progress lines for scripts run by hand. */
export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Seconds with one decimal, for "up in 4.2 s". */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

import pkg from '../../package.json' with { type: 'json' };
import { ConfigError } from '../config/load.ts';
import { type HeraldError, isHeraldError } from '../errors.ts';
import type { ServiceDefinition } from '../platform/service.ts';
import { clientCommands } from './client/commands.ts';
import { type Command, type Io, parseCommandArgs, say, UsageError } from './command.ts';
import { startCommand } from './start.ts';

function commandsFor(services: ServiceDefinition[]): Command[] {
  return [startCommand(services), ...clientCommands()];
}

function usage(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: herald <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'herald <command> --help   options of a command',
    'herald --version          print the version',
  ].join('\n');
}

function commandUsage(command: Command): string {
  return [`usage: herald ${command.name} ${command.usage}`, ...(command.help ?? [])].join('\n');
}

/** A Herald error in words: its field problems when it lists them (`partitions must be >= 1`), else its message. */
function explain(err: HeraldError): string {
  const details = Array.isArray(err.details) ? (err.details as { field?: unknown; message?: unknown }[]) : [];
  const fields = details.filter((d) => typeof d?.field === 'string' && typeof d.message === 'string');
  if (fields.length === 0) return err.message;
  return fields.map((d) => `${d.field} ${d.message}`).join('; ');
}

/**
 * Runs the `herald` CLI and resolves with the exit code: 0 success, 1 failure at run time, 2 usage or config
 * errors (one line per problem, no stack trace).
 */
export async function main(argv: string[], io: Io, services: ServiceDefinition[]): Promise<number> {
  const commands = commandsFor(services);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    say(name === undefined ? io.stderr : io.stdout, usage(commands));
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    say(io.stdout, pkg.version);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    say(io.stderr, `herald: unknown command '${name}'`);
    say(io.stderr, usage(commands));
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    say(io.stdout, commandUsage(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (err) {
    if (err instanceof UsageError) {
      say(io.stderr, `herald ${command.name}: ${err.message}`);
      say(io.stderr, commandUsage(command));
      return 2;
    }
    if (err instanceof ConfigError) {
      for (const problem of err.problems) say(io.stderr, `herald: config: ${problem}`);
      return 2;
    }
    if (isHeraldError(err)) {
      say(io.stderr, `herald ${command.name}: ${err.code}: ${explain(err)}`);
      return 1;
    }
    say(io.stderr, `herald ${command.name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

import { type Command, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { printJson, withTarget } from './with-target.ts';

/**
 * `herald processors list`: the stateful processors and views of a running Herald (owned partitions, table sizes,
 * input lag, restore state, standby partitions; view lag), one JSON line each — what `GET /admin/processors` shows.
 * Processors live in the process that runs them, so this asks a server, never a broker.
 */
export const processorsCommand: Command = {
  name: 'processors',
  summary: 'list the stateful processors and views of a running Herald',
  usage: 'list',
  options: { ...targetOptions },
  help: TARGET_HELP,
  run: (parsed, io) => {
    const [action] = parsed.positionals;
    if (action !== 'list') throw new UsageError(`unknown action '${action ?? ''}' (list)`);
    if (parsed.values.broker !== undefined) {
      throw new UsageError('processors are known only to the server that runs them: use --server, not --broker');
    }
    return withTarget(parsed, io, async (target) => {
      const { processors, views } = await target.processors();
      for (const processor of processors) printJson(io, { kind: 'processor', ...processor });
      for (const view of views) printJson(io, { kind: 'view', ...view });
      return 0;
    });
  },
};

import { type Command, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { printJson, withTarget } from './with-target.ts';

/** `herald groups list | describe GROUP`: members, committed offsets, lag. */
export const groupsCommand: Command = {
  name: 'groups',
  summary: 'list consumer groups; describe members, committed offsets and lag',
  usage: 'list | describe GROUP',
  options: { ...targetOptions },
  help: TARGET_HELP,
  run: (parsed, io) => {
    const [action, group] = parsed.positionals;
    if (action === 'describe' && !group) throw new UsageError('groups describe needs a group name');
    if (action !== 'list' && action !== 'describe')
      throw new UsageError(`unknown action '${action ?? ''}' (list, describe)`);
    return withTarget(parsed, io, async (target) => {
      if (action === 'list') for (const summary of await target.listGroups()) printJson(io, summary);
      else printJson(io, await target.describeGroup(group));
      return 0;
    });
  },
};

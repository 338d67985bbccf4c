import { type Command, UsageError } from '../command.ts';
import { JSON_HELP, jsonOption, printJson, printList, printTable, wantsTable } from '../output.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { withTarget } from './with-target.ts';

const ACTIONS = ['list', 'describe'];

/** `herald groups list | describe GROUP`: members, committed offsets, lag. */
export const groupsCommand: Command = {
  name: 'groups',
  summary: 'list consumer groups; describe members, committed offsets and lag',
  usage: 'list | describe GROUP',
  options: { ...targetOptions, ...jsonOption },
  help: [JSON_HELP, ...TARGET_HELP],
  run: (parsed, io) => {
    const [action, group] = parsed.positionals;
    if (action === undefined) throw new UsageError(`groups needs a subcommand (${ACTIONS.join(', ')})`);
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown subcommand '${action}' (${ACTIONS.join(', ')})`);
    if (action === 'describe' && !group) throw new UsageError('groups describe needs a group name');
    return withTarget(parsed, io, async (target) => {
      if (action === 'list') {
        printList(parsed, io, await target.listGroups(), ['group', 'members', 'lag'], (g) => [g.group, g.members, g.lag]);
        return 0;
      }
      const info = await target.describeGroup(group);
      if (!wantsTable(parsed, io)) {
        printJson(io, info);
        return 0;
      }
      io.stdout.write(`group ${info.group}: ${info.members.length} member(s)\n`);
      if (info.members.length > 0) {
        printTable(io, ['member', 'client', 'partitions'], info.members.map((m) => [
          m.memberId,
          m.clientId,
          m.assignment.map((a) => `${a.topic}/${a.partition}`).join(' '),
        ]));
      }
      printTable(io, ['topic', 'partition', 'committed', 'latest', 'lag'], info.offsets.map((o) => [
        o.topic,
        o.partition,
        o.committed,
        o.latest,
        o.lag,
      ]));
      return 0;
    });
  },
};

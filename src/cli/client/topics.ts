import { type Command, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, printJson, withTarget } from './with-target.ts';

/** `herald topics list | describe NAME | create NAME --partitions N [--compacted] | delete NAME`. */
export const topicsCommand: Command = {
  name: 'topics',
  summary: 'list, describe, create and delete topics',
  usage: 'list | describe NAME | create NAME --partitions N [--compacted] | delete NAME',
  options: { ...targetOptions, partitions: { type: 'string' }, compacted: { type: 'boolean' } },
  help: [
    '  --partitions N        partitions of a new topic (default 1)',
    '  --compacted           keep the latest record per key',
    ...TARGET_HELP,
  ],
  run: (parsed, io) => {
    const [action, name] = parsed.positionals;
    if (action !== 'list' && !name)
      throw new UsageError(`topics ${action ?? ''} needs a topic name`.replace('  ', ' '));
    const partitions = intFlag(parsed.values, 'partitions', 1)!;
    return withTarget(parsed, io, async (target) => {
      switch (action) {
        case 'list':
          for (const topic of await target.listTopics()) printJson(io, topic);
          return 0;
        case 'describe':
          printJson(io, await target.describeTopic(name));
          return 0;
        case 'create':
          printJson(io, await target.createTopic({ name, partitions, compacted: parsed.values.compacted === true }));
          return 0;
        case 'delete':
          await target.deleteTopic(name);
          return 0;
        default:
          throw new UsageError(`unknown action '${action}' (list, describe, create, delete)`);
      }
    });
  },
};

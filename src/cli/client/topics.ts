import type { TopicInfo } from '../../broker/port.ts';
import { type Command, UsageError } from '../command.ts';
import { JSON_HELP, jsonOption, printJson, printList, wantsTable, printTable } from '../output.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, withTarget } from './with-target.ts';

const ACTIONS = ['list', 'describe', 'create', 'delete'];

/** Records a topic holds now (latest minus earliest, over its partitions). */
export const recordCount = (topic: TopicInfo) => topic.partitions.reduce((n, p) => n + (p.latest - p.earliest), 0);

/** `herald topics list | describe NAME | create NAME --partitions N [--compacted] | delete NAME`. */
export const topicsCommand: Command = {
  name: 'topics',
  summary: 'list, describe, create and delete topics',
  usage: 'list | describe NAME | create NAME --partitions N [--compacted] | delete NAME',
  options: { ...targetOptions, ...jsonOption, partitions: { type: 'string' }, compacted: { type: 'boolean' } },
  help: [
    '  --partitions N        partitions of a new topic (default 1)',
    '  --compacted           keep the latest record per key',
    JSON_HELP,
    ...TARGET_HELP,
  ],
  run: (parsed, io) => {
    const [action, name] = parsed.positionals;
    if (action === undefined) throw new UsageError(`topics needs a subcommand (${ACTIONS.join(', ')})`);
    if (!ACTIONS.includes(action)) {
      throw new UsageError(`unknown subcommand '${action}' (${ACTIONS.join(', ')})`);
    }
    if (action !== 'list' && !name) throw new UsageError(`topics ${action} needs a topic name`);
    const partitions = intFlag(parsed.values, 'partitions', 1, 1)!;
    return withTarget(parsed, io, async (target) => {
      switch (action) {
        case 'list':
          printList(parsed, io, await target.listTopics(), ['name', 'partitions', 'records', 'compacted'], (t) => [
            t.name,
            t.partitions.length,
            recordCount(t),
            t.compacted,
          ]);
          return 0;
        case 'describe': {
          const topic = await target.describeTopic(name);
          if (!wantsTable(parsed, io)) printJson(io, topic);
          else {
            io.stdout.write(`${topic.name}: ${topic.partitions.length} partitions, ${recordCount(topic)} records${topic.compacted ? ', compacted' : ''}\n`);
            printTable(io, ['partition', 'earliest', 'latest'], topic.partitions.map((p) => [p.partition, p.earliest, p.latest]));
          }
          return 0;
        }
        case 'create':
          printJson(io, await target.createTopic({ name, partitions, compacted: parsed.values.compacted === true }));
          return 0;
        default:
          await target.deleteTopic(name);
          return 0;
      }
    });
  },
};

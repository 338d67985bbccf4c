import type { DeadLetterFilter, ReplayOptions } from '../../admin/dead-letters.ts';
import { parseTime } from '../../admin/times.ts';
import { type Command, type Parsed, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, printJson, withTarget } from './with-target.ts';

function timeFlag(values: Parsed['values'], name: string): number | undefined {
  try {
    return parseTime(values[name] as string | undefined, `--${name}`);
  } catch {
    throw new UsageError(`--${name} must be epoch milliseconds or an ISO 8601 time, not '${String(values[name])}'`);
  }
}

function filterFlags(values: Parsed['values']): DeadLetterFilter {
  return {
    key: values.key as string | undefined,
    since: timeFlag(values, 'since'),
    until: timeFlag(values, 'until'),
    fromOffset: intFlag(values, 'offset'),
    limit: intFlag(values, 'limit'),
  };
}

/**
 * `herald dlq list [DLQ_TOPIC]`: without a topic, every dead-letter topic and its size; with one, its dead letters
 * (one JSON line each: origin, error, attempts, times, replay count, key, value).
 * `herald dlq replay DLQ_TOPIC`: re-publishes the matching dead letters to their origin topics and prints the report.
 */
export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list dead letters; replay them to their origin topics',
  usage: 'list [DLQ_TOPIC] [filters] | replay DLQ_TOPIC [filters] [--dry-run] [--rate N] [--max-replays N]',
  options: {
    ...targetOptions,
    key: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    offset: { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
    rate: { type: 'string' },
    'max-replays': { type: 'string' },
  },
  help: [
    '  --key K               only dead letters with this key',
    '  --since T / --until T dead-lettered in [T1, T2) (ISO 8601 or epoch ms)',
    '  --offset O            start at this offset of the dead-letter topic',
    '  --limit N             at most N dead letters (list: default 100)',
    '  --dry-run             replay: report what would be re-published, send nothing',
    '  --rate N              replay: at most N records per second',
    '  --max-replays N       replay: skip records already replayed N times (default 10; loop guard)',
    ...TARGET_HELP,
  ],
  run: async (parsed, io) => {
    const [action, topic] = parsed.positionals;
    if (action !== 'list' && action !== 'replay')
      throw new UsageError(`unknown action '${action ?? ''}' (list, replay)`);
    if (action === 'replay' && !topic) throw new UsageError('dlq replay needs a dead-letter topic');
    const filter = filterFlags(parsed.values);
    const rate = parsed.values.rate === undefined ? undefined : Number(parsed.values.rate);
    if (rate !== undefined && !(rate > 0))
      throw new UsageError(`--rate must be a positive number, not '${parsed.values.rate}'`);
    const maxReplays = intFlag(parsed.values, 'max-replays');
    return withTarget(parsed, io, async (target) => {
      if (action === 'list' && !topic) for (const t of await target.deadLetterTopics()) printJson(io, t);
      else if (action === 'list') for (const letter of await target.deadLetters(topic, filter)) printJson(io, letter);
      else {
        const options: ReplayOptions = { ...filter, dryRun: parsed.values['dry-run'] === true };
        if (rate !== undefined) options.ratePerSecond = rate;
        if (maxReplays !== undefined) options.maxReplays = maxReplays;
        printJson(io, await target.replay(topic, options));
      }
      return 0;
    });
  },
};

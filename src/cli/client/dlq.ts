import type { DeadLetterFilter, ReplayOptions } from '../../admin/dead-letters.ts';
import { parseCursor, parseStart } from '../../admin/positions.ts';
import { parseTime } from '../../admin/times.ts';
import { type Command, type Parsed, say, UsageError } from '../command.ts';
import { JSON_HELP, jsonOption, printJson, printList } from '../output.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, withTarget } from './with-target.ts';

function timeFlag(values: Parsed['values'], name: string): number | undefined {
  try {
    return parseTime(values[name] as string | undefined, `--${name}`);
  } catch {
    throw new UsageError(`--${name} must be epoch milliseconds or an ISO 8601 time, not '${String(values[name])}'`);
  }
}

function filterFlags(values: Parsed['values']): DeadLetterFilter {
  const filter: DeadLetterFilter = {
    key: values.key as string | undefined,
    since: timeFlag(values, 'since'),
    until: timeFlag(values, 'until'),
    limit: intFlag(values, 'limit', undefined, 1),
  };
  const offset = values.offset as string | undefined;
  const cursor = values.cursor as string | undefined;
  if (offset !== undefined && cursor !== undefined) throw new UsageError('--offset and --cursor: give one');
  try {
    if (offset !== undefined) filter.start = parseStart(offset, '--offset');
    if (cursor !== undefined) filter.cursor = parseCursor(cursor, '--cursor');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return filter;
}

const ACTIONS = ['list', 'replay'];

/**
 * `herald dlq list [DLQ_TOPIC]`: without a topic, every dead-letter topic and its size; with one, a page of its
 * dead letters (origin, error, attempts, times, replay count and mark, key, value) and, on stderr, how to go on.
 * `herald dlq replay DLQ_TOPIC`: re-publishes the matching dead letters to their origin topics and prints the
 * report; dead letters replayed before are skipped unless `--again`.
 */
export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list dead letters; replay them to their origin topics',
  usage: 'list [DLQ_TOPIC] [filters] | replay DLQ_TOPIC [filters] [--dry-run] [--again] [--rate N] [--max-replays N]',
  options: {
    ...targetOptions,
    ...jsonOption,
    key: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    offset: { type: 'string' },
    cursor: { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
    again: { type: 'boolean' },
    rate: { type: 'string' },
    'max-replays': { type: 'string' },
  },
  help: [
    '  --key K               only dead letters with this key',
    '  --since T / --until T dead-lettered in [T1, T2) (ISO 8601 or epoch ms)',
    '  --offset O            start in each partition at: beginning, end, an offset, -N, @TIME',
    '  --cursor C            list: continue where a previous list stopped (it prints the cursor)',
    '  --limit N             at most N dead letters (list: default 100)',
    '  --dry-run             replay: report what would be re-published, send nothing',
    '  --again               replay: also dead letters replayed before (skipped otherwise)',
    '  --rate N              replay: at most N records per second',
    '  --max-replays N       replay: skip records already replayed N times (default 10; loop guard)',
    JSON_HELP,
    ...TARGET_HELP,
  ],
  run: async (parsed, io) => {
    const [action, topic] = parsed.positionals;
    if (action === undefined) throw new UsageError(`dlq needs a subcommand (${ACTIONS.join(', ')})`);
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown subcommand '${action}' (${ACTIONS.join(', ')})`);
    if (action === 'replay' && !topic) throw new UsageError('dlq replay needs a dead-letter topic');
    const filter = filterFlags(parsed.values);
    const rate = parsed.values.rate === undefined ? undefined : Number(parsed.values.rate);
    if (rate !== undefined && !(rate > 0))
      throw new UsageError(`--rate must be a positive number, not '${parsed.values.rate}'`);
    const maxReplays = intFlag(parsed.values, 'max-replays', undefined, 1);
    return withTarget(parsed, io, async (target) => {
      if (action === 'list' && !topic) {
        printList(parsed, io, await target.deadLetterTopics(), ['topic', 'records'], (t) => [t.topic, t.records]);
      } else if (action === 'list') {
        const page = await target.deadLetters(topic, filter);
        printList(
          parsed,
          io,
          page.deadLetters,
          ['at', 'dead-lettered', 'origin', 'key', 'error', 'attempts', 'replayed', 'value'],
          (d) => [
            `${d.dlq.partition}/${d.dlq.offset}`,
            d.dlq.deadLetteredAt,
            `${d.origin.topic}/${d.origin.partition}/${d.origin.offset}`,
            d.key,
            `${d.error.code}: ${d.error.message}`,
            d.attempts,
            d.replayed === null ? 'no' : `${d.replayed.count}x`,
            d.value,
          ],
        );
        if (page.more) say(io.stderr, `herald dlq: more dead letters: add --cursor ${page.next}`);
      } else {
        const options: ReplayOptions = {
          ...filter,
          dryRun: parsed.values['dry-run'] === true,
          again: parsed.values.again === true,
        };
        if (rate !== undefined) options.ratePerSecond = rate;
        if (maxReplays !== undefined) options.maxReplays = maxReplays;
        const report = await target.replay(topic, options);
        printJson(io, report);
        const already = report.skippedRecords.filter((s) => s.reason.startsWith('replayed already')).length;
        if (already > 0) {
          say(io.stderr, `herald dlq: ${already} dead letter(s) were replayed before and skipped: add --again to replay them again`);
        }
      }
      return 0;
    });
  },
};

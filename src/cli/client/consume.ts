import { setTimeout as sleep } from 'node:timers/promises';
import type { AdminApi } from '../../admin/api.ts';
import type { ReadQuery } from '../../admin/pages.ts';
import { parseCursor, parseStart, type StartSpec } from '../../admin/positions.ts';
import type { RecordView } from '../../admin/records.ts';
import { type Command, type Io, type Parsed, UsageError } from '../command.ts';
import { isTerminal } from '../output.ts';
import { encodingFlag } from './bytes.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { recordFormatter } from './record-format.ts';
import { intFlag, withTarget } from './with-target.ts';

/** Most records asked for in one page. */
const PAGE = 1_000;
/** Pause between empty polls of `--follow`. */
const POLL_MS = 250;

function startFlag(values: Parsed['values']): StartSpec | undefined {
  const raw = values.offset as string | undefined;
  if (raw === undefined) return undefined;
  try {
    return parseStart(raw, '--offset');
  } catch {
    throw new UsageError(`--offset must be beginning, end, an offset, -N (N before the end) or @time, not '${raw}'`);
  }
}

/**
 * `herald consume TOPIC`: prints records of one partition or all (merged by timestamp) from `--offset`, at most
 * `--limit` in total, as JSON lines (piped) or readable lines (terminal), or in a `--format` template; with
 * `--follow`, keeps printing new records until interrupted. Reads without a group, or with `--group G` as a member
 * of G whose committed offsets move past what was printed.
 */
export const consumeCommand: Command = {
  name: 'consume',
  summary: 'print records of a topic (all partitions merged by time), optionally as a group member',
  usage: 'TOPIC [--offset beginning|end|N|-N|@TIME] [--partition P] [--limit N] [--follow] [--group G] [--format F]',
  options: {
    ...targetOptions,
    partition: { type: 'string', short: 'p' },
    offset: { type: 'string', short: 'o' },
    limit: { type: 'string', short: 'c' },
    follow: { type: 'boolean' },
    group: { type: 'string', short: 'G' },
    format: { type: 'string', short: 'f' },
    'value-encoding': { type: 'string' },
  },
  help: [
    '  -o, --offset O        where to start in each partition: beginning (default), end, an offset,',
    '                        -N (N before the end), @TIME (epoch ms or ISO 8601: the first record at or after)',
    '  -p, --partition P     only this partition (default: all, merged by timestamp)',
    '  -c, --limit N         stop after N records in total',
    '  --follow              wait for new records until interrupted (Ctrl-C)',
    "  -G, --group G         consume as a member of group G: start at its committed offsets, commit what is printed",
    '  -f, --format F        json (default when piped), text (default on a terminal: "partition/offset key: value"),',
    '                        or a template: %s value, %k key, %S/%K their sizes, %t topic, %p partition, %o offset,',
    '                        %T timestamp, %h headers, %% — with \\n \\t escapes (values printed as they are)',
    '  --value-encoding E    utf8 (default: bytes as they are), base64 or hex: how keys and values are printed',
    ...TARGET_HELP,
  ],
  run: (parsed, io) => {
    const [topic] = parsed.positionals;
    if (!topic) throw new UsageError('consume needs a topic');
    const partition = intFlag(parsed.values, 'partition');
    const start = startFlag(parsed.values);
    const limit = intFlag(parsed.values, 'limit', undefined, 1);
    const group = parsed.values.group as string | undefined;
    if (group !== undefined && (partition !== undefined || start !== undefined)) {
      throw new UsageError("--group starts at the group's committed offsets: not with --partition or --offset");
    }
    const format = (parsed.values.format as string | undefined) ?? (isTerminal(io.stdout) ? 'text' : 'json');
    const formatter = recordFormatter(format, encodingFlag(parsed.values['value-encoding']));
    const print = (record: RecordView) => io.stdout.write(formatter(record));
    const follow = parsed.values.follow === true;
    return withTarget(parsed, io, async (target) => {
      if (group !== undefined) {
        for await (const record of target.groupRecords({ group, topic, limit, follow, signal: io.signal })) print(record);
      } else {
        await readPages(target, { topic, partition, start }, limit, follow, print, io);
      }
      return 0;
    });
  },
};

/** Prints pages until `limit` records, the end (unless `follow`), or an interruption. */
async function readPages(
  target: AdminApi,
  first: ReadQuery,
  limit: number | undefined,
  follow: boolean,
  print: (record: RecordView) => void,
  io: Io,
): Promise<void> {
  let left = limit ?? Number.POSITIVE_INFINITY;
  let query: ReadQuery = first;
  while (left > 0 && io.signal?.aborted !== true) {
    const page = await target.read({ ...query, limit: Math.min(PAGE, left) });
    for (const record of page.records) print(record);
    left -= page.records.length;
    query = { topic: first.topic, cursor: parseCursor(page.next) };
    if (page.more) continue;
    if (!follow) return;
    await sleep(POLL_MS, undefined, { signal: io.signal }).catch(() => {});
  }
}

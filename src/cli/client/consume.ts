import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import type { AdminApi } from '../../admin/api.ts';
import { intFlag, printJson, withTarget } from './with-target.ts';

/**
 * `herald consume TOPIC`: prints records as JSON lines from `--offset` (default: earliest) of one partition or all,
 * up to `--limit`; with `--follow`, keeps printing new records until interrupted. Reads without joining a group.
 */
export const consumeCommand: Command = {
  name: 'consume',
  summary: 'print records of a topic as JSON lines (no consumer group)',
  usage: 'TOPIC [--partition P] [--offset O] [--limit N] [--follow]',
  options: {
    ...targetOptions,
    partition: { type: 'string' },
    offset: { type: 'string' },
    limit: { type: 'string' },
    follow: { type: 'boolean' },
  },
  help: [
    '  --partition P         only this partition (default: all)',
    '  --offset O            start here (default: earliest)',
    '  --limit N             stop after N records per partition',
    '  --follow              wait for new records until interrupted',
    ...TARGET_HELP,
  ],
  run: (parsed, io) => {
    const [topic] = parsed.positionals;
    if (!topic) throw new UsageError('consume needs a topic');
    const only = intFlag(parsed.values, 'partition');
    const start = intFlag(parsed.values, 'offset', 0)!;
    const limit = intFlag(parsed.values, 'limit', Number.MAX_SAFE_INTEGER)!;
    const follow = parsed.values.follow === true;
    return withTarget(parsed, io, async (target) => {
      const info = await target.describeTopic(topic);
      const partitions = info.partitions.map((p) => p.partition).filter((p) => only === undefined || p === only);
      if (only !== undefined && partitions.length === 0)
        throw new UsageError(`topic ${topic} has no partition ${only}`);
      const next = new Map(partitions.map((p) => [p, start]));
      const printed = new Map(partitions.map((p) => [p, 0]));
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      do {
        const got = await drain(target, topic, next, printed, limit, (r) => printJson(io, r));
        if (!follow || stop.signal.aborted || [...printed.values()].every((n) => n >= limit)) break;
        if (got === 0) await sleep(250, undefined, { signal: stop.signal }).catch(() => {});
      } while (!stop.signal.aborted);
      return 0;
    });
  },
};

async function drain(
  target: AdminApi,
  topic: string,
  next: Map<number, number>,
  printed: Map<number, number>,
  limit: number,
  print: (record: unknown) => void,
): Promise<number> {
  let total = 0;
  for (const [partition, offset] of next) {
    for (let from = offset; printed.get(partition)! < limit; ) {
      const want = Math.min(1000, limit - printed.get(partition)!);
      const records = await target.read({ topic, partition, offset: from }, want);
      if (records.length === 0) break;
      for (const record of records) print(record);
      printed.set(partition, printed.get(partition)! + records.length);
      from = records[records.length - 1].offset + 1;
      next.set(partition, from);
      total += records.length;
    }
  }
  return total;
}

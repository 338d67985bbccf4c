import { createInterface } from 'node:readline';
import type { OutgoingRecord } from '../../broker/port.ts';
import { type Command, UsageError } from '../command.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, printJson, withTarget } from './with-target.ts';

function parseHeaders(pairs: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--header must be NAME=VALUE, not '${pair}'`);
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

/** `herald produce TOPIC [VALUE]`: one record, or one per stdin line when no value is given. */
export const produceCommand: Command = {
  name: 'produce',
  summary: 'produce records (the value argument, or one per line of stdin)',
  usage: 'TOPIC [VALUE] [--key K] [--partition P] [--header NAME=VALUE…]',
  options: {
    ...targetOptions,
    key: { type: 'string' },
    partition: { type: 'string' },
    header: { type: 'string', multiple: true },
  },
  help: [
    '  --key K               record key (routes by murmur2, as Kafka does)',
    '  --partition P         explicit partition',
    '  --header NAME=VALUE   a header (repeatable)',
    ...TARGET_HELP,
  ],
  run: async (parsed, io) => {
    const [topic, value] = parsed.positionals;
    if (!topic) throw new UsageError('produce needs a topic');
    const template: Omit<OutgoingRecord, 'value'> = {
      topic,
      headers: parseHeaders((parsed.values.header as string[]) ?? []),
    };
    if (typeof parsed.values.key === 'string') template.key = Buffer.from(parsed.values.key);
    const partition = intFlag(parsed.values, 'partition');
    if (partition !== undefined) template.partition = partition;
    const values = value !== undefined ? [value] : await readLines(process.stdin);
    if (values.length === 0) return 0;
    return withTarget(parsed, io, async (target) => {
      const positions = await target.produce(values.map((v) => ({ ...template, value: Buffer.from(v) })));
      for (const position of positions) printJson(io, position);
      return 0;
    });
  },
};

async function readLines(input: NodeJS.ReadableStream): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input })) if (line.length > 0) lines.push(line);
  return lines;
}

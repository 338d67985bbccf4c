import type { OutgoingRecord } from '../../broker/port.ts';
import { type Command, UsageError } from '../command.ts';
import { printJson } from '../output.ts';
import { decodeValue, delimiterFlag, encodingFlag, splitBytes } from './bytes.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, withTarget } from './with-target.ts';

/** Most records sent in one request. */
const BATCH = 1_000;

function parseHeaders(pairs: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--header must be NAME=VALUE, not '${pair}'`);
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

async function readAll(input: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * `herald produce TOPIC [VALUE]`: one record, or one per line of stdin (bytes as they are: binary-safe, any
 * `--delimiter`). `--key-delimiter` splits each line into key and value as kcat's `-K` does; `--value-encoding`
 * decodes values given as base64 or hex.
 */
export const produceCommand: Command = {
  name: 'produce',
  summary: 'produce records: the value argument, or one per line of stdin (binary-safe)',
  usage: 'TOPIC [VALUE] [--key K | -K DELIM] [--partition P] [--header NAME=VALUE…] [--value-encoding E]',
  options: {
    ...targetOptions,
    key: { type: 'string', short: 'k' },
    'key-delimiter': { type: 'string', short: 'K' },
    delimiter: { type: 'string', short: 'D' },
    partition: { type: 'string', short: 'p' },
    header: { type: 'string', short: 'H', multiple: true },
    'value-encoding': { type: 'string' },
  },
  help: [
    '  -k, --key K           record key (routes by murmur2, as Kafka does)',
    '  -K, --key-delimiter D each input is KEY<D>VALUE (e.g. -K :); no D in it: no key',
    '  -D, --delimiter D     separates records on stdin (default \\n; \\t, \\0 understood)',
    '  -p, --partition P     explicit partition',
    '  -H, --header NAME=VALUE  a header (repeatable)',
    '  --value-encoding E    utf8 (default: the bytes as they are), base64 or hex: how values are written',
    ...TARGET_HELP,
  ],
  run: async (parsed, io) => {
    const [topic, value] = parsed.positionals;
    if (!topic) throw new UsageError('produce needs a topic');
    const template: Omit<OutgoingRecord, 'value'> = {
      topic,
      headers: parseHeaders((parsed.values.header as string[]) ?? []),
    };
    const keyDelimiter = parsed.values['key-delimiter'] === undefined ? undefined : delimiterFlag(parsed.values['key-delimiter'], 'key-delimiter', '');
    if (typeof parsed.values.key === 'string') {
      if (keyDelimiter !== undefined) throw new UsageError('--key and --key-delimiter: give one');
      template.key = Buffer.from(parsed.values.key);
    }
    const partition = intFlag(parsed.values, 'partition');
    if (partition !== undefined) template.partition = partition;
    const encoding = encodingFlag(parsed.values['value-encoding']);
    const inputs =
      value !== undefined
        ? [Buffer.from(value)]
        : splitBytes(await readAll(io.stdin ?? process.stdin), delimiterFlag(parsed.values.delimiter, 'delimiter', '\\n'));
    const records = inputs.map((input): OutgoingRecord => {
      const at = keyDelimiter === undefined ? -1 : input.indexOf(keyDelimiter);
      if (at < 0) return { ...template, value: decodeValue(input, encoding) };
      const key = input.subarray(0, at);
      return { ...template, key, value: decodeValue(input.subarray(at + keyDelimiter!.length), encoding) };
    });
    if (records.length === 0) return 0;
    return withTarget(parsed, io, async (target) => {
      for (let i = 0; i < records.length; i += BATCH) {
        for (const position of await target.produce(records.slice(i, i + BATCH))) printJson(io, position);
      }
      return 0;
    });
  },
};

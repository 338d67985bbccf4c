import type { Broker } from '../../broker/port.ts';
import { kafkaBootstrap } from '../../broker/from-config.ts';
import { createBroker } from '../../broker/index.ts';
import { parseTime } from '../../http/admin/dlq.ts';
import {
  type DeadLetterFilter,
  listDeadLetters,
  type ReplayOptions,
  replayDeadLetters,
} from '../../runtime/dlq/replay.ts';
import { isDeadLetterTopic } from '../../runtime/names.ts';
import { type Command, type Io, type Parsed, UsageError } from '../command.ts';
import { adminCall } from './admin-http.ts';
import { TARGET_HELP, targetOptions } from './connect.ts';
import { intFlag, printJson } from './with-target.ts';

/** What `herald dlq` needs: the admin API of a running Herald, or a Kafka cluster directly. */
interface DlqTarget {
  topics(): Promise<{ topic: string; records: number }[]>;
  list(topic: string, filter: DeadLetterFilter): Promise<unknown[]>;
  replay(topic: string, options: ReplayOptions): Promise<unknown>;
  close(): Promise<void>;
}

function httpDlqTarget(baseUrl: string, token: string): DlqTarget {
  const call = adminCall(baseUrl, token) as (method: string, path: string, body?: unknown) => Promise<never>;
  const enc = encodeURIComponent;
  return {
    topics: () => call('GET', '/dlq'),
    list: (topic, filter) => {
      const query = new URLSearchParams();
      if (filter.key !== undefined) query.set('key', filter.key);
      if (filter.since !== undefined) query.set('since', String(filter.since));
      if (filter.until !== undefined) query.set('until', String(filter.until));
      if (filter.fromOffset !== undefined) query.set('offset', String(filter.fromOffset));
      if (filter.limit !== undefined) query.set('limit', String(filter.limit));
      return call('GET', `/dlq/${enc(topic)}/messages?${query}`);
    },
    replay: (topic, options) => call('POST', `/dlq/${enc(topic)}/replay`, options),
    close: async () => {},
  };
}

async function brokerDlqTarget(broker: Broker): Promise<DlqTarget> {
  await broker.start();
  const producer = broker.producer();
  return {
    topics: async () =>
      (await broker.admin.listTopics())
        .filter((t) => isDeadLetterTopic(t.name))
        .map((t) => ({ topic: t.name, records: t.partitions.reduce((n, p) => n + p.latest - p.earliest, 0) })),
    list: (topic, filter) => listDeadLetters(broker.admin, topic, filter),
    replay: (topic, options) => replayDeadLetters(broker.admin, producer, topic, options),
    close: () => broker.stop(),
  };
}

async function connectDlq(values: Parsed['values'], io: Io): Promise<DlqTarget> {
  const broker = values.broker as string | undefined;
  if (broker !== undefined) {
    if (!/^kafka:\/\/\S+$/.test(broker))
      throw new UsageError(`--broker must be kafka://host:port[,host:port…], not '${broker}'`);
    return brokerDlqTarget(
      await createBroker({ kind: 'kafka', bootstrap: kafkaBootstrap(broker), clientId: 'herald-cli' }),
    );
  }
  const server = (values.server as string | undefined) ?? `http://127.0.0.1:${io.env.HERALD_HTTP__PORT ?? 8080}`;
  return httpDlqTarget(
    server.replace(/\/$/, ''),
    (values.token as string | undefined) ?? io.env.HERALD_HTTP__ADMIN_TOKEN ?? '',
  );
}

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
    const target = await connectDlq(parsed.values, io);
    try {
      if (action === 'list' && !topic) for (const t of await target.topics()) printJson(io, t);
      else if (action === 'list') for (const letter of await target.list(topic, filter)) printJson(io, letter);
      else {
        const options: ReplayOptions = { ...filter, dryRun: parsed.values['dry-run'] === true };
        if (rate !== undefined) options.ratePerSecond = rate;
        if (maxReplays !== undefined) options.maxReplays = maxReplays;
        printJson(io, await target.replay(topic, options));
      }
      return 0;
    } finally {
      await target.close();
    }
  },
};

import { parseArgs } from 'node:util';

/** Settings of one delivery check run. */
export interface CheckOptions {
  users: number;
  /** Events per user. */
  events: number;
  /** SIGKILL Herald this long after the load starts, then start it again on the same data dir. */
  killAfterMs?: number;
  /** One local destination per rate: the probability it answers an attempt with 500. */
  failureRates: number[];
  /** Probability, per event and destination, that the destination refuses it for good (400): dead-lettered at once. */
  rejectRate: number;
  /** Destinations answer after 0..latencyMs ms. */
  latencyMs: number;
  /** Users per publish request (1: POST /publish; more: POST /publish/batch). */
  batchUsers: number;
  concurrency: number;
  /** `embedded`, or `kafka://host:port,…`. */
  broker: string;
  /** Give up waiting for delivery after this long. */
  timeoutMs: number;
  /** Data dir for Herald (default: a fresh temporary one). */
  dataDir?: string;
  /** Keep the data dir afterwards. */
  keep: boolean;
  /** Print the summary as JSON too. */
  json: boolean;
}

export const USAGE = `usage: npm run delivery:check -- [options]
  --users N             users (default 100)
  --events N            events per user (default 100)
  --kill-after T        SIGKILL Herald after T (e.g. 5s, 800ms) of load and start it again
  --failure-rates R,…   one local destination per rate of 500 answers (default 0.09,0.5)
  --reject-rate R       share of events a destination refuses with 400 → dead-lettered (default 0.01)
  --latency-ms N        destinations answer after 0..N ms (default 99)
  --batch-users N       users per publish request; >1 uses POST /publish/batch (default 1)
  --concurrency N       publish loops at once (default 64)
  --broker URL          embedded (default) or kafka://host:port[,…]
  --timeout T           give up waiting for delivery after T (default 600s)
  --data-dir DIR        Herald's data dir (default: a new temporary dir)
  --keep                keep the data dir
  --json                also print the summary as JSON`;

/** `5s`, `800ms`, `2m`, or a bare number of ms. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)} (e.g. 5s, 800ms, 2m)`);
  const n = Number(match[1]);
  return Math.round(match[2] === 's' ? n * 1000 : match[2] === 'm' ? n * 60_000 : n);
}

function positiveInt(text: string | undefined, name: string, def: number): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, not ${JSON.stringify(text)}`);
  return n;
}

function rate(text: string, name: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${name} must be between 0 and 1, not ${JSON.stringify(text)}`);
  return n;
}

/** @throws Error with a one-line reason on bad arguments. */
export function parseCheckArgs(argv: string[]): CheckOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      events: { type: 'string' },
      'kill-after': { type: 'string' },
      'failure-rates': { type: 'string' },
      'reject-rate': { type: 'string' },
      'latency-ms': { type: 'string' },
      'batch-users': { type: 'string' },
      concurrency: { type: 'string' },
      broker: { type: 'string' },
      timeout: { type: 'string' },
      'data-dir': { type: 'string' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const failureRates = (values['failure-rates'] ?? '0.09,0.5').split(',').map((r) => rate(r, 'failure-rates'));
  const latency = values['latency-ms'] === undefined ? 99 : Number(values['latency-ms']);
  if (!Number.isInteger(latency) || latency < 0) throw new Error('--latency-ms must be an integer >= 0');
  const broker = values.broker ?? 'embedded';
  if (!/^(embedded|kafka:\/\/\S+)$/.test(broker)) throw new Error('--broker must be embedded or kafka://host:port');
  return {
    users: positiveInt(values.users, 'users', 100),
    events: positiveInt(values.events, 'events', 100),
    killAfterMs: values['kill-after'] === undefined ? undefined : parseDuration(values['kill-after']),
    failureRates,
    rejectRate: rate(values['reject-rate'] ?? '0.01', 'reject-rate'),
    latencyMs: latency,
    batchUsers: positiveInt(values['batch-users'], 'batch-users', 1),
    concurrency: positiveInt(values.concurrency, 'concurrency', 64),
    broker,
    timeoutMs: parseDuration(values.timeout ?? '600s'),
    dataDir: values['data-dir'],
    keep: values.keep ?? false,
    json: values.json ?? false,
  };
}

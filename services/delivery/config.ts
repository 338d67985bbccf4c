import { type ConfigOf, type Field, integer, type Rejection, string } from '#herald';
import { HEADER_NAME, isHeaderValue } from '#herald/kit';
import { type MockConfig, mocksField } from './mock-config.ts';

/** Exponential backoff between attempts: `initialMs · 2^(attempt-1)`, capped at `maxMs`, with jitter. */
export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
}

/** One destination events are delivered to. */
export interface DestinationConfig {
  /** Names the destination topic (`delivery.<id>`), its consumer groups and its status entries. */
  id: string;
  /**
   * Where events are POSTed: an `http(s)://` URL, or a path beginning with `/` that is served by Herald's own HTTP
   * server (the built-in mock destinations).
   */
  url: string;
  /** One attempt (connect + request + response) may take this long; longer counts as a retriable failure. */
  timeoutMs: number;
  /** Attempts before the event is dead-lettered (1 = no retries). */
  maxAttempts: number;
  /** No new attempt starts once this long has passed since the event's first attempt; it is dead-lettered. */
  maxAgeMs: number;
  backoff: BackoffConfig;
  /** Requests to this destination in flight at once (across all users). */
  concurrency: number;
  /** Requests started per second at most (token bucket); unset = unlimited. */
  ratePerSec?: number;
  /** Extra request headers, e.g. an API key. */
  headers?: Record<string, string>;
  /**
   * When set, every request carries `Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
   */
  secret?: string;
  /** Name of a transform registered in code (`createDeliveryService({ transforms })`); default `default`. */
  transform: string;
}

/** Destination ids become topic and group names, so they stay short and plain; `events` is the source topic. */
const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const RESERVED_IDS = new Set(['events']);
/** Headers Herald sets itself; a destination config must not override them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'idempotency-key', 'herald-signature', 'host']);

export const DESTINATION_DEFAULTS = {
  timeoutMs: 5_000,
  maxAttempts: 10,
  maxAgeMs: 3_600_000,
  backoff: { initialMs: 200, maxMs: 30_000 },
  concurrency: 64,
  transform: 'default',
} as const;

const KEYS = new Set([
  'id',
  'url',
  'timeoutMs',
  'maxAttempts',
  'maxAgeMs',
  'backoff',
  'concurrency',
  'ratePerSec',
  'headers',
  'secret',
  'transform',
]);

type Problem = string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(raw: unknown, path: string, def: number, min: number, max: number, out: Problem[]): number {
  if (raw === undefined) return def;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max) return raw;
  out.push(`${path} must be an integer from ${min} to ${max}`);
  return def;
}

function parseDestination(raw: unknown, at: string, out: Problem[]): DestinationConfig | undefined {
  if (!isObject(raw)) {
    out.push(`${at} must be an object {id, url, …}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) out.push(`${at}.${key} is not a destination setting`);
  const id = raw.id;
  if (typeof id !== 'string' || !ID.test(id) || RESERVED_IDS.has(id)) {
    out.push(`${at}.id must match ${ID} and not be ${[...RESERVED_IDS].join(', ')}`);
  }
  const url = raw.url;
  if (typeof url !== 'string' || !isDestinationUrl(url)) {
    out.push(`${at}.url must be an http(s):// URL or a path starting with / on this server`);
  }
  const d = DESTINATION_DEFAULTS;
  const backoffRaw = raw.backoff ?? {};
  let backoff: BackoffConfig = { ...d.backoff };
  if (!isObject(backoffRaw)) out.push(`${at}.backoff must be an object {initialMs, maxMs}`);
  else {
    for (const key of Object.keys(backoffRaw)) {
      if (key !== 'initialMs' && key !== 'maxMs') out.push(`${at}.backoff.${key} is not a backoff setting`);
    }
    const initialMs = int(backoffRaw.initialMs, `${at}.backoff.initialMs`, d.backoff.initialMs, 1, 3_600_000, out);
    const maxMs = int(
      backoffRaw.maxMs,
      `${at}.backoff.maxMs`,
      Math.max(initialMs, d.backoff.maxMs),
      1,
      86_400_000,
      out,
    );
    if (maxMs < initialMs) out.push(`${at}.backoff.maxMs must be >= backoff.initialMs`);
    backoff = { initialMs, maxMs };
  }
  const destination: DestinationConfig = {
    id: String(id),
    url: String(url),
    timeoutMs: int(raw.timeoutMs, `${at}.timeoutMs`, d.timeoutMs, 1, 600_000, out),
    maxAttempts: int(raw.maxAttempts, `${at}.maxAttempts`, d.maxAttempts, 1, 1_000_000, out),
    maxAgeMs: int(raw.maxAgeMs, `${at}.maxAgeMs`, d.maxAgeMs, 1, 30 * 86_400_000, out),
    backoff,
    concurrency: int(raw.concurrency, `${at}.concurrency`, d.concurrency, 1, 10_000, out),
    transform: d.transform,
  };
  if (raw.ratePerSec !== undefined) {
    if (typeof raw.ratePerSec === 'number' && Number.isFinite(raw.ratePerSec) && raw.ratePerSec > 0) {
      destination.ratePerSec = raw.ratePerSec;
    } else out.push(`${at}.ratePerSec must be a number > 0`);
  }
  if (raw.headers !== undefined) {
    const headers = parseHeaders(raw.headers, `${at}.headers`, out);
    if (headers) destination.headers = headers;
  }
  if (raw.secret !== undefined) {
    if (typeof raw.secret === 'string' && raw.secret.length > 0) destination.secret = raw.secret;
    else out.push(`${at}.secret must be a non-empty string`);
  }
  if (raw.transform !== undefined) {
    if (typeof raw.transform === 'string' && raw.transform.length > 0) destination.transform = raw.transform;
    else out.push(`${at}.transform must be the name of a registered transform`);
  }
  return destination;
}

function parseHeaders(raw: unknown, at: string, out: Problem[]): Record<string, string> | undefined {
  if (!isObject(raw)) {
    out.push(`${at} must be an object of header names to string values`);
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      out.push(`${at}.${name} is not a header name a destination may set`);
    } else if (!isHeaderValue(value)) {
      out.push(`${at}.${name} must be printable ASCII with no control characters or spaces at either end`);
    } else headers[name] = value;
  }
  return headers;
}

/** Whether `url` is an absolute http(s) URL or a path on Herald's own server. */
export function isDestinationUrl(url: string): boolean {
  if (url.startsWith('/')) return !url.startsWith('//');
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Checks a destination list, filling defaults. Returns the list, or every problem found (so a user fixes them all
 * at once).
 */
export function parseDestinations(raw: unknown): DestinationConfig[] | { problems: string[] } {
  const problems: Problem[] = [];
  if (!Array.isArray(raw)) return { problems: ['destinations must be a list'] };
  const list = raw.map((item, i) => parseDestination(item, `[${i}]`, problems));
  const seen = new Set<string>();
  list.forEach((d, i) => {
    if (d === undefined) return;
    if (seen.has(d.id)) problems.push(`[${i}].id ${JSON.stringify(d.id)} is used twice`);
    seen.add(d.id);
  });
  return problems.length > 0 ? { problems } : (list as DestinationConfig[]);
}

const DESTINATIONS_EXPECTED =
  'a list of {id, url, timeoutMs?, maxAttempts?, maxAgeMs?, backoff?: {initialMs, maxMs}, concurrency?, ' +
  'ratePerSec?, headers?, secret?, transform?}';

/**
 * A config field holding the destination list: JSON text in env/flags, a list in files. A rejection names each
 * problem (`[1].url must be …`), which the config loader prints after the key.
 */
function destinationsField(def: DestinationConfig[], doc: string): Field<DestinationConfig[]> {
  return {
    kind: 'field',
    default: def,
    doc,
    expected: DESTINATIONS_EXPECTED,
    parse(raw: unknown, fromText: boolean): DestinationConfig[] | Rejection {
      let value = raw;
      if (fromText && typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          return { expected: `${DESTINATIONS_EXPECTED}, as JSON` };
        }
      }
      const parsed = parseDestinations(value);
      return Array.isArray(parsed) ? parsed : { expected: `${DESTINATIONS_EXPECTED} (${parsed.problems.join('; ')})` };
    },
  };
}

/** The mock destinations `npm start` runs and delivers to: clearly mocks, served by Herald itself. */
export const DEFAULT_MOCKS: MockConfig[] = [
  { id: 'mock-mostly-ok', failureRate: 0.09, minLatencyMs: 0, maxLatencyMs: 99 },
  { id: 'mock-mostly-failing', failureRate: 0.89, minLatencyMs: 0, maxLatencyMs: 99 },
];

/** Default destinations: the two mocks above, on this server. The mostly-failing one gets enough attempts to win. */
export const DEFAULT_DESTINATIONS: DestinationConfig[] = [
  {
    ...DESTINATION_DEFAULTS,
    backoff: { initialMs: 100, maxMs: 5_000 },
    id: 'mock-mostly-ok',
    url: '/mock-destinations/mock-mostly-ok',
  },
  {
    ...DESTINATION_DEFAULTS,
    backoff: { initialMs: 100, maxMs: 5_000 },
    maxAttempts: 40,
    id: 'mock-mostly-failing',
    url: '/mock-destinations/mock-mostly-failing',
  },
];

/** The `delivery` config section. */
export const deliveryConfigSchema = {
  topicPrefix: string(
    'delivery',
    'names the topics (<prefix>.events, <prefix>.<destination id>) and consumer groups',
    /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$/,
    'letters, digits, dash, underscore',
  ),
  partitions: integer(8, 'partitions of the source topic and of each destination topic (set when created)', 1, 1024),
  batchMaxEvents: integer(500, 'most events one POST /publish/batch may carry', 1, 100_000),
  maxPayloadBytes: integer(262_144, 'largest accepted event payload, as JSON bytes', 2, 1 << 30),
  publishTimeoutMs: integer(
    10_000,
    'POST /publish answers 503 when the broker has not confirmed within this',
    1,
    600_000,
  ),
  destinations: destinationsField(DEFAULT_DESTINATIONS, 'where events are delivered (see services/delivery/README.md)'),
  mocks: mocksField(DEFAULT_MOCKS, 'mock destinations served under /mock-destinations/{id} (empty list: none)'),
  statusRetentionMs: integer(
    7 * 86_400_000,
    'finished delivery statuses older than this are purged from the status store',
    60_000,
    3650 * 86_400_000,
  ),
};

/** The loaded `delivery` config section. */
export type DeliveryConfig = ConfigOf<typeof deliveryConfigSchema>;

import { HeraldError } from '../../../../errors.ts';
import { isLoopback } from '../../../../kit/loopback.ts';

/**
 * Options of the embedded broker's Kafka listener (config `broker.kafkaListener`). Every field is optional.
 */
export interface KafkaListenerOptions {
  /**
   * `'auto'` (default): listen on 127.0.0.1:9092, or, when that port is taken (typically by a real Kafka), log
   * one line and run without the listener. `'off'`: no listener. `'host:port'` (`[::1]:9093` for IPv6; port 0
   * picks a free one): listen there, and fail the broker's start with one line when the port is taken.
   */
  listen?: string;
  /** Host put in Metadata and FindCoordinator answers; default: the bound host. */
  advertisedHost?: string;
  /** Largest request accepted; a bigger size closes the connection. Default 104,857,600 (Kafka's). */
  maxFrameBytes?: number;
  /** SASL/PLAIN credentials clients must present. Required when `listen` is not a loopback address. */
  sasl?: { username: string; password: string };
  /** Create a topic a client asks Metadata for (Kafka's `auto.create.topics.enable`). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics asking for the default (-1). Default 1. */
  defaultPartitions?: number;
  /** How long a group that was empty waits for more members before its first assignment. Default 300 ms. */
  initialRebalanceDelayMs?: number;
}

export interface ResolvedListenerOptions {
  mode: 'auto' | 'explicit' | 'off';
  host: string;
  port: number;
  advertisedHost: string | null;
  maxFrameBytes: number;
  sasl: { username: string; password: string } | null;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  initialRebalanceDelayMs: number;
  /** Kafka's group.min/max.session.timeout.ms, loosened at the bottom for quick local tests. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
}

export const AUTO_HOST = '127.0.0.1';
export const AUTO_PORT = 9092;

function invalid(message: string, field: string, value?: unknown): HeraldError {
  return new HeraldError('HERALD_CONFIG_INVALID', `kafka listener: ${message}`, { details: { field, value } });
}

/** `host:port` or `[v6]:port` to its parts, or undefined when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { host: match[1] ?? match[2], port };
}

function integerIn(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be an integer from ${min} to ${max}`, field, value);
  }
  return value;
}

/**
 * Validates the options once, when the broker is built. No options at all means no listener (a broker built in
 * code listens only when asked to); given options default to `listen: 'auto'`.
 */
export function resolveListenerOptions(options: KafkaListenerOptions | undefined): ResolvedListenerOptions {
  const o = options ?? { listen: 'off' };
  if (typeof o !== 'object' || o === null) throw invalid('options must be an object', 'kafkaListener');
  const listen = o.listen ?? 'auto';
  let mode: ResolvedListenerOptions['mode'];
  let host = AUTO_HOST;
  let port = AUTO_PORT;
  if (listen === 'auto' || listen === 'off') mode = listen;
  else {
    const parsed = typeof listen === 'string' ? parseHostPort(listen) : undefined;
    if (parsed === undefined) throw invalid("listen must be 'auto', 'off' or host:port", 'listen', listen);
    mode = 'explicit';
    ({ host, port } = parsed);
  }
  let sasl: ResolvedListenerOptions['sasl'] = null;
  if (o.sasl !== undefined && (o.sasl.username !== '' || o.sasl.password !== '')) {
    const { username, password } = o.sasl;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw invalid('sasl needs both a username and a password', 'sasl');
    }
    sasl = { username, password };
  }
  if (mode === 'explicit' && !isLoopback(host) && sasl === null) {
    throw invalid(`listening on ${host} (not loopback) requires sasl.username and sasl.password`, 'listen', listen);
  }
  const advertisedHost = o.advertisedHost === undefined || o.advertisedHost === '' ? null : o.advertisedHost;
  if (advertisedHost !== null && !/^\S+$/.test(advertisedHost)) {
    throw invalid('advertisedHost must be a host name or address', 'advertisedHost', advertisedHost);
  }
  if (o.autoCreateTopics !== undefined && typeof o.autoCreateTopics !== 'boolean') {
    throw invalid('autoCreateTopics must be a boolean', 'autoCreateTopics', o.autoCreateTopics);
  }
  return {
    mode,
    host,
    port,
    advertisedHost,
    maxFrameBytes: integerIn(o.maxFrameBytes, 'maxFrameBytes', 104_857_600, 1024, 1 << 30),
    sasl,
    autoCreateTopics: o.autoCreateTopics ?? true,
    defaultPartitions: integerIn(o.defaultPartitions, 'defaultPartitions', 1, 1, 10_000),
    initialRebalanceDelayMs: integerIn(o.initialRebalanceDelayMs, 'initialRebalanceDelayMs', 300, 0, 60_000),
    minSessionTimeoutMs: 1_000,
    maxSessionTimeoutMs: 1_800_000,
  };
}

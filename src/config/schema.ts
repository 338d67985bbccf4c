import { boolean, type Field, integer, number, oneOf, string } from './fields.ts';

/** A tree of config fields; services add their own sections beside the platform's. */
export interface Schema {
  [key: string]: Field<unknown> | Schema;
}

/** The typed config a schema describes. */
export type ConfigOf<S> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : ConfigOf<S[K]> };

const BROKER_URL = /^(embedded|kafka:\/\/[^,\s/]+(,[^,\s/]+)*)$/;
const KAFKA_LISTEN = /^(auto|off|\[[^\]\s]+\]:\d{1,5}|[^:\s[\]]+:\d{1,5})$/;

/** The platform's own settings, shared by every service. */
export const platformSchema = {
  http: {
    port: integer(8080, 'HTTP port (0 picks a free one)', 0, 65535),
    host: string('127.0.0.1', 'HTTP bind address; loopback by default', /^\S+$/, 'a host name or IP address'),
    bodyLimitBytes: integer(1_048_576, 'largest accepted request body in bytes', 1, 1 << 30),
    adminToken: string('', 'bearer token for /admin on a non-loopback bind (empty: admin only on loopback)'),
    headersTimeoutMs: integer(10_000, "a request's line and headers must arrive within this", 100, 600_000),
    requestTimeoutMs: integer(
      30_000,
      'a whole request, body included, must arrive within this (slower: 408 and the connection is cut)',
      100,
      3_600_000,
    ),
    keepAliveTimeoutMs: integer(5_000, 'an idle keep-alive connection is closed after this', 100, 600_000),
    maxJsonDepth: integer(100, 'deepest nesting of objects and arrays a JSON request body may have', 1, 1_000),
    accessLog: oneOf(
      'summary',
      'request log at info: `summary` (a line per failed or slow request, and per-route counts every 10 s), `every` (a line per request), `off`',
      ['summary', 'every', 'off'],
    ),
    slowRequestMs: integer(1_000, 'request log, `summary`: requests slower than this get a line of their own', 0, 3_600_000),
    shutdownGraceMs: integer(
      1_000,
      'on shutdown, idle connections and requests still arriving are cut after this',
      0,
      600_000,
    ),
  },
  dataDir: string('./data', 'directory of the embedded broker and local state', /\S/, 'a non-empty path'),
  broker: {
    url: string(
      'embedded',
      '`embedded`, or `kafka://host:port[,host:port…]`',
      BROKER_URL,
      '`embedded` or kafka://host:port[,host:port…]',
    ),
    durability: oneOf('fsync', 'embedded broker: fsync each batch, or leave flushing to the OS', ['fsync', 'os']),
    acceptEmptyStorage: boolean(
      false,
      'embedded broker: start even if herald.db of an initialised data dir is missing or empty (its records are lost)',
    ),
    clientId: string('herald', 'Kafka client id', /^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
    replicationFactor: integer(0, 'Kafka: replication factor of topics Herald creates (0: broker default)', 0, 32),
    sasl: {
      mechanism: oneOf('none', 'Kafka SASL mechanism', ['none', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']),
      username: string('', 'Kafka SASL user'),
      password: string('', 'Kafka SASL password'),
    },
    tls: {
      enabled: boolean(false, 'Kafka: connect with TLS'),
      caFile: string('', 'Kafka TLS: PEM file of trusted CAs (empty: system CAs)'),
      certFile: string('', 'Kafka TLS: client certificate PEM file'),
      keyFile: string('', 'Kafka TLS: client key PEM file'),
      rejectUnauthorized: boolean(true, 'Kafka TLS: verify the broker certificate'),
    },
    kafkaListener: {
      listen: string(
        'auto',
        'embedded broker: where Kafka clients connect: `auto` (127.0.0.1:9092 unless taken), `off`, or host:port',
        KAFKA_LISTEN,
        '`auto`, `off` or host:port',
      ),
      advertisedHost: string('', 'Kafka listener: host advertised to clients (empty: the bound host)'),
      maxFrameBytes: integer(104_857_600, 'Kafka listener: largest request accepted', 1024, 1 << 30),
      autoCreateTopics: boolean(true, 'Kafka listener: create topics clients ask for, as Kafka does'),
      defaultPartitions: integer(1, 'Kafka listener: partitions of topics created without a count', 1, 10_000),
      sasl: {
        username: string('', 'Kafka listener: SASL/PLAIN user (required on a non-loopback bind)'),
        password: string('', 'Kafka listener: SASL/PLAIN password'),
      },
    },
    transactions: {
      intervalMs: integer(
        20,
        'Kafka: spacing of a processor instance\'s transactions under load, in full when its event loop is saturated',
        0,
        60_000,
      ),
      protocol: oneOf(
        'auto',
        'Kafka transaction protocol: `2` (KIP-890, fewer requests), `1`, or `auto` (2 where the cluster finalized transaction.version 2)',
        ['auto', '1', '2'],
      ),
    },
    producer: {
      acks: oneOf('all', 'Kafka producer acknowledgements', ['all', 'leader']),
      lingerMs: integer(0, 'Kafka producer: wait this long to batch sends', 0, 60_000),
      compression: oneOf('none', 'Kafka producer compression', ['none', 'gzip', 'snappy', 'lz4', 'zstd']),
    },
  },
  log: {
    level: oneOf('info', 'log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    format: oneOf('auto', 'stdout log format: pretty on a terminal and JSON otherwise (auto), or always one', [
      'auto',
      'pretty',
      'json',
    ]),
    file: string('', 'also write logs to this file, rotated (empty: stdout only)'),
    rotate: {
      size: string('10m', 'rotate when the file reaches this size', /^\d+[kmg]?$/, 'a size such as 500k, 10m or 1g'),
      frequency: string('daily', 'rotate on this schedule', /^(daily|hourly|\d+)$/, 'daily, hourly or milliseconds'),
      keep: integer(10, 'rotated files to keep', 1, 1000),
    },
  },
  telemetry: {
    serviceName: string('', '`service.name` of Herald\'s spans (empty: OTEL_SERVICE_NAME, else `herald`)'),
    resourceAttributes: string(
      '',
      'more resource attributes, `key=value,…` (added to OTEL_RESOURCE_ATTRIBUTES)',
      /^$|^[^=,\s]+=[^,]*(,[^=,\s]+=[^,]*)*$/,
      'key=value pairs separated by commas',
    ),
    traces: {
      endpoint: string(
        '',
        'OTLP/HTTP (protobuf) traces URL, e.g. http://127.0.0.1:4318/v1/traces (empty: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, else no export)',
        /^$|^https?:\/\/\S+$/,
        'an http:// or https:// URL',
      ),
      sampleRatio: number(1, 'fraction of new traces recorded; a trace a caller sampled is always followed', 0, 1),
      perSecond: integer(0, 'at most this many new traces recorded a second (0: no limit); a trace a caller sampled is always followed', 0, 1_000_000),
      recent: integer(0, 'traces kept in memory for GET /admin/traces (0: none)', 0, 100_000),
    },
  },
  shutdown: {
    timeoutMs: integer(
      10_000,
      'on SIGINT/SIGTERM, wait this long for in-flight work before giving up (shared by stage: HTTP, consumers, threads, broker)',
      0,
      600_000,
    ),
  },
} satisfies Schema;

export type PlatformConfig = ConfigOf<typeof platformSchema>;

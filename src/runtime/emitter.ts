import type { Headers, OutgoingRecord, Producer, RecordPosition } from '../broker/port.ts';
import type { Codec } from '../codec/codec.ts';
import { currentCorrelationId } from './correlation.ts';
import { HEADERS } from './headers.ts';
import { injectTraceContext } from '../telemetry/trace-context.ts';

/**
 * `headers` plus what ties a produced record to its cause: `traceparent` of the active span (so the consumer's
 * span continues this trace) and `herald.correlation-id` — the one given, else the one of the handler this runs in,
 * else none. Headers already present win.
 */
export function contextHeaders(headers: Headers = {}, correlationId = currentCorrelationId()): Headers {
  const out: Headers = { ...headers };
  if (out[HEADERS.traceparent] === undefined) injectTraceContext(out);
  if (correlationId !== undefined) out[HEADERS.correlationId] ??= correlationId;
  return out;
}

/** Sends raw records with {@link contextHeaders} added to each. Resolves once durable, like `Producer.send`. */
export function publish(producer: Producer, records: OutgoingRecord[]): Promise<RecordPosition[]> {
  return producer.send(records.map((record) => ({ ...record, headers: contextHeaders(record.headers) })));
}

export interface EmitOptions {
  headers?: Headers;
  /** Explicit partition (wins over the key). */
  partition?: number;
  timestamp?: number;
  /** Default: the correlation id of the handler this runs in. */
  correlationId?: string;
}

/** One record for {@link Emitter.emitMany}. */
export interface Emission<T> extends EmitOptions {
  key: string | Buffer | null;
  value: T;
}

/**
 * Produces typed values to one topic: encodes with the topic's codec (an invalid value throws
 * `HERALD_VALIDATION_FAILED` before anything is sent), keys records (same key => same partition, murmur2), and adds
 * trace context and correlation id headers. Resolves once the records are durable.
 */
export class Emitter<T> {
  readonly topic: string;
  readonly #producer: Producer;
  readonly #codec: Codec<T>;

  constructor(producer: Producer, topic: string, codec: Codec<T>) {
    this.#producer = producer;
    this.topic = topic;
    this.#codec = codec;
  }

  async emit(key: string | Buffer | null, value: T, options: EmitOptions = {}): Promise<RecordPosition> {
    const [position] = await this.emitMany([{ ...options, key, value }]);
    return position;
  }

  /** Records of one call to one partition are appended in the order given. */
  emitMany(emissions: Emission<T>[]): Promise<RecordPosition[]> {
    const records = emissions.map((e): OutgoingRecord => {
      const record: OutgoingRecord = {
        topic: this.topic,
        key: typeof e.key === 'string' ? Buffer.from(e.key) : e.key,
        value: this.#codec.encode(e.value),
        headers: contextHeaders(e.headers, e.correlationId ?? currentCorrelationId()),
      };
      if (e.partition !== undefined) record.partition = e.partition;
      if (e.timestamp !== undefined) record.timestamp = e.timestamp;
      return record;
    });
    return this.#producer.send(records);
  }
}

import { trace } from '@opentelemetry/api';
import type { BrokerRecord, Headers, OutgoingRecord } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { correlationIdOf } from '../runtime/correlation.ts';
import { contextHeaders } from '../runtime/emitter.ts';
import { HEADERS } from '../runtime/headers.ts';
import type { Context } from './callback.ts';
import { invalid } from './invalid.ts';
import type { Topology } from './topology.ts';

/** Reads other groups' tables for `lookup` and `join`. */
export interface TableReader {
  get(table: string, key: string): unknown;
}

/** What the contexts of a batch's records share: the topology, and the reads of the layers below a record. */
export interface ContextScope {
  topology: Topology<unknown, unknown, unknown>;
  tables: TableReader;
  /** This key's value before this record: the batch's, else the committed one. `undefined` when none. */
  readBelow: (key: string) => unknown;
}

/** The overlay of one attempt: read by the core when the callback returned, dropped when it threw. */
export class RecordContext implements Context<unknown, Record<string, unknown>, Record<string, unknown>> {
  readonly group: string;
  readonly topic: string;
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly streamTime: number;
  readonly headers: Headers;
  /** Whether this attempt wrote the table value, and what (`null`: deleted). */
  written = false;
  value: unknown = null;
  /** Records emitted by this attempt. */
  emitted: OutgoingRecord[] | undefined;
  late = false;
  readonly #scope: ContextScope;
  readonly #hasKey: boolean;
  #correlationId: string | undefined;

  /**
   * `key`: the record's key as text (null: none). `correlationId`: the one an earlier attempt at the same record
   * made up, so that every attempt uses the same.
   */
  constructor(record: BrokerRecord, key: string | null, streamTime: number, scope: ContextScope, correlationId?: string) {
    this.group = scope.topology.group;
    this.topic = record.topic;
    this.key = key ?? '';
    this.#hasKey = key !== null;
    this.partition = record.partition;
    this.offset = record.offset;
    this.timestamp = record.timestamp;
    this.headers = record.headers;
    this.streamTime = streamTime;
    this.#scope = scope;
    this.#correlationId = correlationId;
  }

  /** Worked out on first use: most records never emit, and a made-up id costs a UUID. */
  get correlationId(): string {
    this.#correlationId ??= correlationIdOf(this.headers);
    return this.#correlationId;
  }

  /** The correlation id if this attempt used one (to hand to the next attempt), else undefined. */
  get usedCorrelationId(): string | undefined {
    return this.#correlationId;
  }

  get(): unknown {
    this.#tableAccess('get');
    if (this.written) return this.value === null ? undefined : this.value;
    return this.#scope.readBelow(this.key);
  }

  set(value: unknown): void {
    this.#tableAccess('set');
    if (value === undefined || value === null)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', 'set() needs a value; use delete() to remove one');
    this.written = true;
    this.value = value;
  }

  delete(): void {
    this.#tableAccess('delete');
    this.written = true;
    this.value = null;
  }

  emit(topic: string, key: string | null, value: unknown, options: { headers?: Headers } = {}): void {
    const codec = this.#scope.topology.outputs.get(topic);
    if (codec === undefined) throw invalid(this.group, [`emit to ${topic}, which is not a declared output`]);
    const headers: Headers = { ...options.headers };
    // The emitted record continues the input's trace and correlation.
    // The record's span, when one is active (tracing on), is the emitted record's parent; else the input's context.
    const traceparent = this.headers[HEADERS.traceparent];
    if (traceparent !== undefined && headers[HEADERS.traceparent] === undefined && trace.getActiveSpan() === undefined) {
      headers[HEADERS.traceparent] = traceparent;
      const tracestate = this.headers[HEADERS.tracestate];
      if (tracestate !== undefined) headers[HEADERS.tracestate] = tracestate;
    }
    const record: OutgoingRecord = {
      topic,
      key: key === null ? null : Buffer.from(key),
      value: codec.encode(value),
      headers: contextHeaders(headers, this.correlationId),
    };
    (this.emitted ??= []).push(record);
  }

  lookup(table: string, key: string): unknown {
    const ref = this.#scope.topology.tables.get(table);
    if (ref === undefined) throw invalid(this.group, [`lookup in ${table}, which is not a declared table`]);
    return this.#scope.tables.get(table, key);
  }

  join(table: string): unknown {
    const ref = this.#scope.topology.tables.get(table);
    if (ref?.mode !== 'join') throw invalid(this.group, [`join with ${table}, which is not a declared join table`]);
    this.#requireKey('join');
    return this.#scope.tables.get(table, this.key);
  }

  reportLate(): void {
    this.late = true;
  }

  #tableAccess(what: string): void {
    if (this.#scope.topology.table === undefined)
      throw invalid(this.group, [`${what}() on a processor without a table (declare one with persist())`]);
    this.#requireKey(what);
  }

  #requireKey(what: string): void {
    if (!this.#hasKey)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `${what}() needs a key; record ${this.topic}/${this.partition}/${this.offset} has none`);
  }
}

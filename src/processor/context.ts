import type { Headers, OutgoingRecord } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { contextHeaders } from '../runtime/emitter.ts';
import { HEADERS } from '../runtime/headers.ts';
import { invalid, type Topology } from './topology.ts';

/**
 * What a callback sees of its record and may do (Goka's `Context`). Everything it writes — table value, emitted
 * records — is held in an overlay that becomes part of the batch only when the callback returns; a throw discards
 * it, so a failed attempt leaves the table as it was.
 */
export interface Context<V, O = Record<string, unknown>, L = Record<string, unknown>> {
  readonly group: string;
  readonly topic: string;
  /** The record key as UTF-8 text; `''` for a record without a key (table operations then throw). */
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
  /** Event time: the record's timestamp (epoch ms). */
  readonly timestamp: number;
  /** The partition's stream time: the greatest event time seen in it so far, this record's included. */
  readonly streamTime: number;
  readonly headers: Headers;
  /** From `herald.correlation-id`, else `x-request-id`, else made up; records emitted here carry it. */
  readonly correlationId: string;
  /** This key's table value as this record sees it (its own writes included); `undefined` when there is none. */
  get(): V | undefined;
  /** Sets this key's table value (written to the changelog and local store when the batch commits). */
  set(value: V): void;
  /** Deletes this key's table value (a tombstone in the changelog). */
  delete(): void;
  /** Emits to a declared output topic, in the same atomic commit as the table change and the input offset. */
  emit<K extends keyof O & string>(topic: K, key: string | null, value: O[K], options?: { headers?: Headers }): void;
  /** Reads any key of a declared lookup table (from its local view). */
  lookup<K extends keyof L & string>(table: K, key: string): L[K] | undefined;
  /** Reads this record's key in a declared, co-partitioned join table. */
  join<K extends keyof L & string>(table: K): L[K] | undefined;
  /** Counts this record as too late for a window (the window helpers call it; a metric and the tester show it). */
  reportLate(): void;
}

/** Reads other groups' tables for `lookup` and `join`. */
export interface TableReader {
  get(table: string, key: string): unknown;
}

/** What a record's context is made from: the record, the topology, and the reads of the layers below it. */
export interface ContextScope {
  topology: Topology<unknown, unknown, unknown>;
  tables: TableReader;
  /** This key's value before this record: the batch's, else the committed one. `undefined` when none. */
  readBelow: (key: string) => unknown;
  streamTime: number;
}

export interface RecordFields {
  topic: string;
  key: string | null;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Headers;
  correlationId: string;
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
  readonly #fields: RecordFields;
  readonly #hasKey: boolean;

  constructor(fields: RecordFields, scope: ContextScope) {
    this.group = scope.topology.group;
    this.topic = fields.topic;
    this.key = fields.key ?? '';
    this.#hasKey = fields.key !== null;
    this.partition = fields.partition;
    this.offset = fields.offset;
    this.timestamp = fields.timestamp;
    this.headers = fields.headers;
    this.#fields = fields;
    this.streamTime = scope.streamTime;
    this.#scope = scope;
  }

  /** Read from the record's fields on use: most records never emit, and a made-up id costs a UUID. */
  get correlationId(): string {
    return this.#fields.correlationId;
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
    const traceparent = this.headers[HEADERS.traceparent];
    if (traceparent !== undefined && headers[HEADERS.traceparent] === undefined) {
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

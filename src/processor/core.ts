import { context, trace } from '@opentelemetry/api';
import type { BrokerRecord, OutgoingRecord, RecordPosition } from '../broker/port.ts';
import { HeraldError, isRetriable } from '../errors.ts';
import { nextDelay, type RetryPolicy } from '../runtime/backoff.ts';
import { deadLetterOf } from '../runtime/dlq/envelope.ts';
import { deadLetterTopicName } from '../runtime/names.ts';
import { newTracesRecorded } from '../telemetry/active.ts';
import { startConsumerSpan } from '../telemetry/consumer-span.ts';
import { failSpan } from '../telemetry/conventions.ts';
import { spanEvent } from '../telemetry/with-span.ts';
import { type ContextScope, RecordContext, type TableReader } from './context.ts';
import type { Topology } from './topology.ts';

/**
 * Header of a batch's last changelog record naming the input positions the batch reached: `topic/partition/offset`
 * of each input topic's last record, comma-separated (see {@link changelogRecords}).
 */
export const SOURCE_HEADER = 'herald.source';

/** A key's value at the end of a batch, encoded (for changelog, store and cache). */
export interface TableChange {
  key: string;
  /** `null`: deleted. */
  bytes: Buffer | null;
}

/** What one batch of one partition produced: everything that must become visible together, or not at all. */
export interface BatchResult {
  partition: number;
  /** Last value per changed key, in the order keys were first changed. */
  changes: Map<string, TableChange>;
  /** Emitted records and dead letters, in processing order. */
  emitted: OutgoingRecord[];
  /** Next input offset per input topic of this partition. */
  positions: RecordPosition[];
  processed: number;
  deadLettered: number;
  late: number;
}

/** How failed attempts are retried and waited for (the runtime's backoff). */
export interface RetryTiming {
  policy: RetryPolicy;
  /**
   * Waits `ms` before retrying a record of `partition`; rejects (with `HERALD_SHUTTING_DOWN`) when the partition is
   * revoked or the processor stops, which fails the batch (nothing of it is committed). Injectable for the tester.
   */
  sleep: (ms: number, partition: number) => Promise<void>;
  now: () => number;
  random?: () => number;
}

export interface CoreOptions {
  topology: Topology<unknown, unknown, unknown>;
  tables: TableReader;
  /**
   * Keys' committed values, encoded (what the changelog holds), read once per batch for all its keys: from a cache
   * or the local store. Absent keys map to `undefined`. Values are kept
   * encoded below the record's overlay and decoded for every read, so that a callback that mutates the object it
   * got and then throws cannot change the table.
   */
  readCommitted: (partition: number, keys: Iterable<string>) => Map<string, Buffer | undefined>;
  retry: RetryTiming;
  /** Called for each attempt that failed (for logs and metrics); not for the last one of a dead letter. */
  onRetry?: (record: BrokerRecord, error: unknown, attempt: number, delayMs: number) => void;
  onDeadLetter?: (record: BrokerRecord, error: unknown, attempts: number) => void;
}

/**
 * The processing core shared by processors and the topology tester: runs a partition's records through their
 * callbacks, one at a time in offset order, each against an overlay over (this batch's changes → committed value).
 * A callback that returns merges its overlay into the batch; one that throws has its overlay dropped and is retried
 * with backoff, and after the policy's last attempt (at once for errors that are not retriable) its record becomes
 * a dead letter in the batch's output. The caller then commits the {@link BatchResult} as one unit.
 */
export class ProcessorCore {
  readonly topology: Topology<unknown, unknown, unknown>;
  readonly #options: CoreOptions;
  /** Stream time per partition: the greatest event time seen. */
  readonly #streamTime = new Map<number, number>();
  readonly #tracer = trace.getTracer('herald.processor');

  constructor(options: CoreOptions) {
    this.topology = options.topology;
    this.#options = options;
  }

  streamTime(partition: number): number {
    return this.#streamTime.get(partition) ?? Number.NEGATIVE_INFINITY;
  }

  /** Sets a partition's stream time back to `time`, as it was before batches that will be processed again. */
  rewindStreamTime(partition: number, time: number): void {
    if (time === Number.NEGATIVE_INFINITY) this.#streamTime.delete(partition);
    else this.#streamTime.set(partition, time);
  }

  /** Forgets a partition's stream time (it moved to another instance). */
  forget(partition: number): void {
    this.#streamTime.delete(partition);
  }

  /** Records of one partition (one or several input topics), in the order to process them. */
  async run(partition: number, records: readonly BrokerRecord[]): Promise<BatchResult> {
    const result: BatchResult = {
      partition,
      changes: new Map(),
      emitted: [],
      positions: [],
      processed: 0,
      deadLettered: 0,
      late: 0,
    };
    const next = new Map<string, number>();
    const codec = this.topology.table;
    const keys = records.map((r) => (r.key === null ? null : r.key.toString('utf8')));
    const committed =
      codec === undefined ? new Map<string, Buffer | undefined>() : this.#options.readCommitted(partition, present(keys));
    const readBelow = (key: string) => {
      const change = result.changes.get(key);
      const bytes = change !== undefined ? change.bytes : committed.get(key);
      return bytes === null || bytes === undefined || codec === undefined ? undefined : codec.decode(bytes);
    };
    const scope: ContextScope = { topology: this.topology, tables: this.#options.tables, readBelow };
    let streamTime = this.streamTime(partition);
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (record.timestamp > streamTime) streamTime = record.timestamp;
      this.#streamTime.set(partition, streamTime);
      // A callback that returns no promise is handled without one: an async step per record (its promises and
      // the frames they keep) was a quarter of what exactly-once processing allocated.
      const pending =
        record.headers.traceparent === undefined && !newTracesRecorded()
          ? this.#attempt(record, keys[i], streamTime, scope, result, 1, undefined, undefined)
          : this.#traced(record, () => this.#attempt(record, keys[i], streamTime, scope, result, 1, undefined, undefined));
      if (pending !== undefined) await pending;
      next.set(record.topic, record.offset + 1);
      result.processed += 1;
    }
    for (const [topic, offset] of next) result.positions.push({ topic, partition, offset });
    return result;
  }

  /**
   * Runs a record's handling in its `process <topic>` span when tracing is on or the record carries a trace: table
   * writes, emits, retries and dead-lettering are events on it, and emitted records continue its trace.
   */
  async #traced(record: BrokerRecord, run: () => Promise<void> | undefined): Promise<void> {
    const started = startConsumerSpan(this.#tracer, record, this.topology.group);
    if (started === undefined) return run();
    if (!started.span.isRecording()) return context.with(started.context, run);
    try {
      await context.with(started.context, run);
    } catch (error) {
      failSpan(started.span, error);
      throw error;
    } finally {
      started.span.end();
    }
  }

  /**
   * One attempt at a record: its callback against a fresh overlay, merged into the batch when it returns. Returns
   * undefined when the record is done synchronously, else a promise of it being done (the callback's promise, or
   * the wait before the next attempt).
   */
  #attempt(
    record: BrokerRecord,
    key: string | null,
    streamTime: number,
    scope: ContextScope,
    result: BatchResult,
    attempt: number,
    firstAttemptAt: number | undefined,
    correlationId: string | undefined,
  ): Promise<void> | undefined {
    const input = this.topology.inputs.get(record.topic);
    if (input === undefined) throw new HeraldError('HERALD_INTERNAL', `no input ${record.topic} in ${this.topology.group}`);
    const started = this.#options.retry.now();
    firstAttemptAt ??= started;
    const ctx = new RecordContext(record, key, streamTime, scope, correlationId);
    const failed = (error: unknown) => {
      const retry = this.#failed(record, error, attempt, firstAttemptAt, started, result);
      return retry === undefined
        ? undefined
        : retry.then(() => this.#attempt(record, key, streamTime, scope, result, attempt + 1, firstAttemptAt, ctx.usedCorrelationId));
    };
    let pending: void | Promise<void>;
    try {
      pending = input.callback(ctx, record.value === null ? null : input.codec.decode(record.value));
      if (pending === undefined) {
        this.#merge(ctx, record, result);
        return undefined;
      }
    } catch (error) {
      return failed(error);
    }
    return pending.then(() => this.#merge(ctx, record, result)).then(undefined, failed);
  }

  /**
   * After a failed attempt: the record becomes a dead letter in the batch (returns undefined) when the error is not
   * retriable or the policy has no attempt left, else returns the wait before the next attempt.
   */
  #failed(
    record: BrokerRecord,
    error: unknown,
    attempt: number,
    firstAttemptAt: number,
    started: number,
    result: BatchResult,
  ): Promise<void> | undefined {
    const { retry } = this.#options;
    const delay = isRetriable(error) ? nextDelay(retry.policy, attempt, retry.now() - firstAttemptAt, retry.random) : undefined;
    if (delay === undefined) {
      const dlq = deadLetterTopicName(record.topic, this.topology.group);
      result.emitted.push(deadLetterOf(record, this.topology.group, error, { attempts: attempt, firstAttemptAt, lastAttemptAt: started }, dlq));
      result.deadLettered += 1;
      spanEvent('dead_lettered', { 'herald.dlq.topic': dlq, 'herald.attempts': attempt });
      this.#options.onDeadLetter?.(record, error, attempt);
      return undefined;
    }
    spanEvent('retry', {
      'herald.attempt': attempt,
      'herald.retry_in_ms': delay,
      'exception.message': error instanceof Error ? error.message : String(error),
    });
    this.#options.onRetry?.(record, error, attempt, delay);
    return retry.sleep(delay, record.partition);
  }

  #merge(ctx: RecordContext, record: BrokerRecord, result: BatchResult): void {
    if (ctx.written) {
      const codec = this.topology.table as NonNullable<typeof this.topology.table>;
      // Encoded here, not at commit, so that a value the codec refuses fails this record (retried, dead-lettered)
      // rather than the whole batch.
      const bytes = ctx.value === null ? null : codec.encode(ctx.value);
      const change: TableChange = { key: ctx.key, bytes };
      result.changes.delete(ctx.key);
      result.changes.set(ctx.key, change);
      spanEvent(bytes === null ? 'table.delete' : 'table.set', { 'herald.table.key': ctx.key });
    }
    if (ctx.emitted !== undefined) {
      for (const r of ctx.emitted) {
        result.emitted.push(r);
        spanEvent('emit', { 'messaging.destination.name': r.topic });
      }
    }
    if (ctx.late) result.late += 1;
  }
}

function* present(keys: readonly (string | null)[]): Iterable<string> {
  for (const key of keys) if (key !== null) yield key;
}

/**
 * The changelog records of a batch: the last value of each changed key, to the input's partition. The last of
 * them carries the batch's input positions in `herald.source` — `topic/partition/offset` of the last input record
 * of each input topic, comma-separated: once a reader has it, every change of those records and the ones before
 * them is in (the batch is committed as one unit). Only the last carries it: a header per record was a fifth of
 * the changelog's bytes, and built, stored, read and parsed for each.
 */
export function changelogRecords(topic: string, result: BatchResult): OutgoingRecord[] {
  const out: OutgoingRecord[] = [];
  for (const change of result.changes.values()) {
    out.push({ topic, partition: result.partition, key: Buffer.from(change.key), value: change.bytes });
  }
  if (out.length > 0) {
    const sources = result.positions.map((p) => `${p.topic}/${p.partition}/${p.offset - 1}`).join(',');
    out[out.length - 1].headers = { [SOURCE_HEADER]: sources };
  }
  return out;
}

/**
 * Coalesces concurrent `send` calls into produce requests, the way Kafka's Java producer batches: records wait at most
 * `lingerMs` while the producer is idle, pile up while a request is in flight, and one request carries at most
 * `batchBytes`. One request is in flight at a time, so requests reach each partition in the order calls were made
 * (the idempotent producer's sequence numbers rely on it); a call larger than `batchBytes` is split into several
 * requests sent one after the other.
 *
 * A request also never spans more than {@link MAX_TIMESTAMP_SPAN_MS} of record timestamps. Kafka stores each
 * record's timestamp as a delta from its batch's first one (a zigzag varint64), and the library's encoder
 * (`@platformatic/dynamic-buffer` 0.3.1, `int64ZigZagEncode`: `(v << 1n) ^ (v >> 31n)`, where Kafka's format needs
 * `>> 63n`) corrupts deltas outside the 32-bit range: records days apart in one batch would come back with wrong
 * timestamps, or be refused by the broker as out of range. Requests split at that span keep every delta in range.
 */
import type { MessageToProduce, ProduceResult } from '@platformatic/kafka';
import type { RecordPosition } from '../port.ts';

export type OutgoingMessage = MessageToProduce<Buffer, Buffer, string, string> & { topic: string; partition: number };

/** Sends one produce request; rejects when any partition of it failed. */
export type SendRequest = (messages: OutgoingMessage[]) => Promise<ProduceResult>;

/** Largest difference between two record timestamps of one request: a delta the library encodes correctly. */
export const MAX_TIMESTAMP_SPAN_MS = 2 ** 31 - 1;

/** A slice of one call that goes into one request. */
interface Chunk {
  messages: OutgoingMessage[];
  bytes: number;
  /** Earliest and latest record timestamp of the chunk. */
  minTs: number;
  maxTs: number;
  call: Call;
  /** Index of the chunk's first message in the call. */
  start: number;
}

interface Call {
  positions: RecordPosition[];
  pending: number;
  failed: boolean;
  resolve(positions: RecordPosition[]): void;
  reject(err: unknown): void;
}

export interface AccumulatorOptions {
  lingerMs: number;
  batchBytes: number;
  /** `false` for acks=none: Kafka answers nothing, so offsets are unknown and reported as -1. */
  offsetsKnown: boolean;
}

export class Accumulator {
  readonly #send: SendRequest;
  readonly #options: AccumulatorOptions;
  #queue: Chunk[] = [];
  #queuedBytes = 0;
  #inFlight = false;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #idle: (() => void)[] = [];

  constructor(send: SendRequest, options: AccumulatorOptions) {
    this.#send = send;
    this.#options = options;
  }

  /**
   * Queues the messages of one call (already partitioned, `timestamps[i]` = the timestamp of `messages[i]`, which
   * every message must carry) and resolves with their positions, in order, once every request carrying them
   * succeeded. Rejects as soon as one of them failed; chunks of that call not yet sent are dropped.
   */
  add(messages: OutgoingMessage[], sizes: number[], timestamps: number[]): Promise<RecordPosition[]> {
    return new Promise((resolve, reject) => {
      const call: Call = { positions: new Array(messages.length), pending: 0, failed: false, resolve, reject };
      let start = 0;
      let bytes = 0;
      let minTs = timestamps[0];
      let maxTs = timestamps[0];
      for (let i = 0; i < messages.length; i++) {
        const ts = timestamps[i];
        const min = Math.min(ts, minTs);
        const max = Math.max(ts, maxTs);
        if (i > start && (bytes + sizes[i] > this.#options.batchBytes || max - min > MAX_TIMESTAMP_SPAN_MS)) {
          this.#push({ messages: messages.slice(start, i), bytes, minTs, maxTs, call, start });
          start = i;
          bytes = 0;
          minTs = ts;
          maxTs = ts;
        } else {
          minTs = min;
          maxTs = max;
        }
        bytes += sizes[i];
      }
      this.#push({ messages: start === 0 ? messages : messages.slice(start), bytes, minTs, maxTs, call, start });
      this.#schedule();
    });
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (!this.#inFlight && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #push(chunk: Chunk): void {
    chunk.call.pending++;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.bytes;
  }

  #schedule(): void {
    if (this.#inFlight || this.#timer !== undefined) return;
    if (this.#queuedBytes >= this.#options.batchBytes) {
      this.#flush();
    } else if (this.#options.lingerMs > 0) {
      this.#timer = setTimeout(() => this.#flush(), this.#options.lingerMs);
    } else {
      // Lets the calls made in the same turn of the event loop share a request.
      this.#timer = setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    const chunks: Chunk[] = [];
    let bytes = 0;
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    while (this.#queue.length > 0) {
      const next = this.#queue[0];
      if (chunks.length > 0) {
        const span = Math.max(maxTs, next.maxTs) - Math.min(minTs, next.minTs);
        if (bytes + next.bytes > this.#options.batchBytes || span > MAX_TIMESTAMP_SPAN_MS) break;
      }
      this.#queue.shift();
      this.#queuedBytes -= next.bytes;
      if (next.call.failed) continue;
      chunks.push(next);
      bytes += next.bytes;
      minTs = Math.min(minTs, next.minTs);
      maxTs = Math.max(maxTs, next.maxTs);
    }
    if (chunks.length === 0) {
      this.#settleIdle();
      return;
    }
    this.#inFlight = true;
    const messages = chunks.length === 1 ? chunks[0].messages : chunks.flatMap((c) => c.messages);
    this.#send(messages).then(
      (result) => this.#succeeded(chunks, result),
      (err: unknown) => this.#failed(chunks, err),
    );
  }

  #succeeded(chunks: Chunk[], result: ProduceResult): void {
    // Per topic, per partition: the next offset to hand out. Each partition's records of a request form one batch,
    // so the n-th record to a partition is at the batch's base offset + n.
    const next = new Map<string, number[]>();
    for (const { topic, partition, offset } of result.offsets ?? []) {
      const offsets = next.get(topic) ?? [];
      offsets[partition] = this.#options.offsetsKnown ? Number(offset) : -1;
      next.set(topic, offsets);
    }
    let topic = '';
    let offsets: number[] = [];
    for (const chunk of chunks) {
      const { call } = chunk;
      for (let i = 0; i < chunk.messages.length; i++) {
        const message = chunk.messages[i];
        if (message.topic !== topic) {
          topic = message.topic;
          offsets = next.get(topic) ?? [];
        }
        const offset = offsets[message.partition] ?? -1;
        if (offset >= 0) offsets[message.partition] = offset + 1;
        call.positions[chunk.start + i] = { topic, partition: message.partition, offset };
      }
      if (--call.pending === 0 && !call.failed) call.resolve(call.positions);
    }
    this.#next();
  }

  #failed(chunks: Chunk[], err: unknown): void {
    for (const { call } of chunks) {
      if (call.failed) continue;
      call.failed = true;
      call.reject(err);
    }
    this.#next();
  }

  #next(): void {
    this.#inFlight = false;
    // Records queued during the request have waited long enough: send them now.
    if (this.#queue.length > 0) this.#flush();
    else this.#settleIdle();
  }

  #settleIdle(): void {
    if (this.#inFlight || this.#queue.length > 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

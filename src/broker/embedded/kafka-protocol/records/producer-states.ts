/**
 * Idempotent producers: producer ids, epochs and per-partition sequence numbers, so that a batch a producer sends
 * again (a retry after a lost response) is not appended twice, and a batch that skips ahead is refused.
 *
 * Kept in memory only. After a restart every producer id is unknown, and the first batch of an unknown
 * (id, partition) is accepted whatever its sequence: a retry of a batch written just before the restart is then
 * appended a second time. That is the window; within one process's life a retry never duplicates. Producer ids
 * start from the time of start-up (in microseconds) so ids handed out before a restart are never handed out again.
 */
import { LruCache } from '../../../../kit/lru.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';

/** Batches remembered per (producer, partition) for duplicate detection: Kafka's max.in.flight limit. */
const REMEMBERED_BATCHES = 5;
/** A producer id unused this long is forgotten (Kafka's `producer.id.expiration.ms` default). */
const EXPIRY_MS = 86_400_000;
/** Most (producer, partition) entries kept; the least recently used go first beyond it. */
const MAX_ENTRIES = 100_000;

interface BatchMark {
  firstSeq: number;
  lastSeq: number;
  /** Offset of its first record; a promise while the append is in flight. */
  baseOffset: Promise<number>;
}

interface PartitionState {
  epoch: number;
  batches: BatchMark[];
  usedAt: number;
}

/** What to do with a batch: append it, answer with the offset it already got, or refuse it. */
export type SequenceVerdict =
  | { kind: 'append'; commit(baseOffset: Promise<number>): void }
  | { kind: 'duplicate'; baseOffset: Promise<number> }
  | { kind: 'error'; code: KafkaErrorCode; message: string };

const APPEND_WITHOUT_STATE: SequenceVerdict = { kind: 'append', commit: () => {} };

/** Sequence numbers wrap from 2^31 - 1 to 0. */
function nextSeq(seq: number, count: number): number {
  return (seq + count) % 2_147_483_648;
}

export class ProducerStates {
  #nextId: number;
  /** Highest epoch handed out or seen per producer id. */
  readonly #epochs = new Map<number, number>();
  /** `${producerId}:${logId}` → state; Map order is least recently used first. */
  /** Least recently used first; evicting stays O(1) at MAX_ENTRIES (through a `Map`'s order it was a scan). */
  readonly #partitions = new LruCache<string, PartitionState>(MAX_ENTRIES);

  constructor(now = Date.now()) {
    this.#nextId = now * 1000;
  }

  /**
   * InitProducerId: a new id at epoch 0, or, when the client names its current id and epoch (KIP-360), the same id
   * at the next epoch (its sequences start again from 0).
   */
  init(producerId: number, epoch: number): { producerId: number; epoch: number } | { error: KafkaErrorCode } {
    if (producerId >= 0) {
      const known = this.#epochs.get(producerId);
      if (known !== undefined && epoch !== known) return { error: KafkaError.INVALID_PRODUCER_EPOCH };
      if (known !== undefined && epoch < 32_767) {
        this.#epochs.set(producerId, epoch + 1);
        return { producerId, epoch: epoch + 1 };
      }
    }
    const id = this.#nextId++;
    this.#epochs.set(id, 0);
    return { producerId: id, epoch: 0 };
  }

  /**
   * Checks a batch of `count` records from `producerId` at `epoch` starting at `baseSeq`, for partition `logId`.
   * An `append` verdict must be committed with the offset its append resolves to, in the same turn, before
   * another batch of the producer is checked.
   */
  check(producerId: number, epoch: number, baseSeq: number, count: number, logId: number): SequenceVerdict {
    if (producerId < 0) return APPEND_WITHOUT_STATE;
    const now = Date.now();
    const known = this.#epochs.get(producerId);
    if (known !== undefined && epoch < known) {
      return { kind: 'error', code: KafkaError.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} is fenced: epoch ${epoch} < ${known}` };
    }
    if (known === undefined || epoch > known) this.#epochs.set(producerId, epoch);
    const key = `${producerId}:${logId}`;
    const state = this.#partitions.peek(key);
    const lastSeq = nextSeq(baseSeq, count - 1);
    if (state !== undefined && state.epoch === epoch) {
      const duplicate = state.batches.find((b) => b.firstSeq === baseSeq && b.lastSeq === lastSeq);
      if (duplicate !== undefined) {
        this.#touch(key, state, now);
        return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
      }
      const expected = nextSeq(state.batches[state.batches.length - 1].lastSeq, 1);
      if (baseSeq !== expected) {
        return {
          kind: 'error',
          code: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
          message: `producer ${producerId}: sequence ${baseSeq}, expected ${expected}`,
        };
      }
    } else if (state !== undefined && baseSeq !== 0) {
      // A new epoch starts its sequences at 0.
      return {
        kind: 'error',
        code: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId}: epoch ${epoch} must start at sequence 0, not ${baseSeq}`,
      };
    }
    return {
      kind: 'append',
      commit: (baseOffset) => {
        const current = this.#partitions.peek(key);
        const entry = current !== undefined && current.epoch === epoch ? current : { epoch, batches: [], usedAt: now };
        const mark: BatchMark = { firstSeq: baseSeq, lastSeq, baseOffset };
        entry.batches.push(mark);
        if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
        this.#touch(key, entry, now);
        // A failed append leaves no trace: the producer's retry of it is checked as if it never came.
        baseOffset.catch(() => {
          const after = this.#partitions.peek(key);
          if (after === undefined) return;
          const at = after.batches.indexOf(mark);
          if (at < 0) return;
          after.batches.splice(at);
          if (after.batches.length === 0) this.#partitions.delete(key);
        });
      },
    };
  }

  #touch(key: string, state: PartitionState, now: number): void {
    state.usedAt = now;
    this.#partitions.set(key, state);
  }

  /** Forgets producers idle for a day; called now and then by the listener. */
  expire(now = Date.now()): void {
    for (let oldest = this.#partitions.oldest(); oldest !== undefined; oldest = this.#partitions.oldest()) {
      if (now - oldest.value.usedAt < EXPIRY_MS) break;
      this.#partitions.delete(oldest.key);
    }
    if (this.#epochs.size > MAX_ENTRIES) this.#epochs.clear();
  }
}

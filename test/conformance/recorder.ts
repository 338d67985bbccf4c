import assert from 'node:assert/strict';
import type {
  BrokerRecord,
  ConsumerListener,
  GroupConsumer,
  RecordPosition,
  TopicPartition,
} from '../../src/broker/port.ts';
import { tpKey, waitFor } from './helpers.ts';

/**
 * Who owns which partition, as told by `onAssigned`/`onRevoked`, shared by the members of one group. Anything that
 * contradicts exclusive ownership is written down as a violation; tests assert there are none.
 */
export class Ledger {
  readonly owners = new Map<string, string>();
  readonly violations: string[] = [];
}

export interface RecorderOptions {
  /** Name in violation messages and the ledger. */
  name?: string;
  /** Commits each batch (offset after its last record) before returning from `onRecords`. */
  commitEach?: boolean;
  /** In `onRevoked`, commits what was handed over of the revoked partitions (as a listener finishing up does). */
  commitOnRevoke?: boolean;
  /** Shared with the other members of the group, to check exclusivity across them. */
  ledger?: Ledger;
  /** Runs at the start of `onRevoked`, before the recorder gives the partitions up. */
  beforeRevoke?(partitions: TopicPartition[]): Promise<void> | void;
  /** Runs for each batch after it is recorded (before any commit); throwing makes `onRecords` throw. */
  onBatch?(records: BrokerRecord[]): Promise<void> | void;
  /** Runs at the start of `onAssigned`. */
  onAssigned?(partitions: TopicPartition[]): Promise<void> | void;
}

/**
 * A listener that records everything a consumer hands over and checks the listener contract as it goes: records
 * only for partitions the member owns, in offset order within a batch, callbacks never contradicting each other.
 * `onRevoked` waits for in-flight batches (and their commits) to finish, as a real listener should.
 */
export class Recorder implements ConsumerListener {
  readonly name: string;
  readonly records: BrokerRecord[] = [];
  /** Size of each batch handed over, in arrival order. */
  readonly batchSizes: number[] = [];
  readonly assigned: TopicPartition[][] = [];
  readonly revoked: TopicPartition[][] = [];
  readonly ledger: Ledger;
  consumer: GroupConsumer | undefined;
  private readonly options: RecorderOptions;
  private readonly owned = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Partitions whose `onRevoked` has been called (until they are assigned again). */
  private readonly revoking = new Set<string>();
  /** Partitions with a batch whose promise has not settled yet. */
  private readonly busy = new Set<string>();
  /** Per partition, the offset after the last record handed over; dropped on assignment and seek. */
  private readonly delivered = new Map<string, number>();

  constructor(options: RecorderOptions = {}) {
    this.options = options;
    this.name = options.name ?? 'member';
    this.ledger = options.ledger ?? new Ledger();
  }

  get violations(): string[] {
    return this.ledger.violations;
  }

  /** Partitions this member owns according to its callbacks. */
  ownedKeys(): string[] {
    return [...this.owned].sort();
  }

  onRecords(records: BrokerRecord[]): Promise<void> {
    const key = records.length > 0 ? tpKey(records[0]) : '';
    if (this.busy.has(key)) this.violations.push(`${this.name}: a batch of ${key} before the previous one settled`);
    this.busy.add(key);
    const work = this.handle(records);
    this.inFlight.add(work);
    return work.finally(() => {
      this.inFlight.delete(work);
      this.busy.delete(key);
    });
  }

  private async handle(records: BrokerRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { topic, partition } = records[0];
    const key = tpKey(records[0]);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (tpKey(r) !== key) this.violations.push(`${this.name}: one batch mixes ${key} and ${tpKey(r)}`);
      if (i > 0 && r.offset <= records[i - 1].offset) {
        this.violations.push(`${this.name}: ${key} offsets out of order: ${records[i - 1].offset} then ${r.offset}`);
      }
    }
    const after = this.delivered.get(key);
    if (after !== undefined && records[0].offset < after) {
      this.violations.push(`${this.name}: ${key}@${records[0].offset} handed over again without seek or reassignment`);
    }
    this.delivered.set(key, records[records.length - 1].offset + 1);
    if (this.revoking.has(key)) this.violations.push(`${this.name}: got records of ${key} after onRevoked`);
    if (!this.owned.has(key)) this.violations.push(`${this.name}: got records of ${key}, which it does not own`);
    const owner = this.ledger.owners.get(key);
    if (owner !== this.name) this.violations.push(`${this.name}: got records of ${key}, owned by ${owner}`);
    this.records.push(...records);
    this.batchSizes.push(records.length);
    await this.options.onBatch?.(records);
    if (this.options.commitEach === true) {
      const last = records[records.length - 1];
      try {
        await this.consumer?.commit([{ topic, partition, offset: last.offset + 1 }]);
      } catch (err) {
        this.violations.push(`${this.name}: commit of ${key}@${last.offset + 1} failed: ${String(err)}`);
        throw err;
      }
    }
  }

  async onAssigned(partitions: TopicPartition[]): Promise<void> {
    await this.options.onAssigned?.(partitions);
    this.assigned.push(partitions);
    for (const tp of partitions) {
      const key = tpKey(tp);
      const owner = this.ledger.owners.get(key);
      if (owner !== undefined && owner !== this.name) {
        this.violations.push(`${this.name}: assigned ${key} while ${owner} still owns it`);
      }
      this.ledger.owners.set(key, this.name);
      this.owned.add(key);
      this.revoking.delete(key);
      this.delivered.delete(key);
    }
  }

  /** Seeks through the consumer; the records that follow may repeat earlier ones. */
  seek(position: RecordPosition): void {
    this.delivered.delete(tpKey(position));
    this.consumer?.seek(position);
  }

  async onRevoked(partitions: TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.revoking.add(tpKey(tp));
    await this.options.beforeRevoke?.(partitions);
    await Promise.allSettled(this.inFlight);
    if (this.options.commitOnRevoke === true) {
      const positions = partitions.flatMap((tp) => {
        const offset = this.delivered.get(tpKey(tp));
        return offset === undefined ? [] : [{ topic: tp.topic, partition: tp.partition, offset }];
      });
      try {
        if (positions.length > 0) await this.consumer?.commit(positions);
      } catch (err) {
        this.violations.push(`${this.name}: commit in onRevoked failed: ${String(err)}`);
      }
    }
    this.revoked.push(partitions);
    for (const tp of partitions) {
      const key = tpKey(tp);
      if (!this.owned.has(key)) this.violations.push(`${this.name}: revoked ${key}, which it did not own`);
      this.owned.delete(key);
      if (this.ledger.owners.get(key) === this.name) this.ledger.owners.delete(key);
    }
  }
}

/** Starts `consumer` with `recorder` (and lets the recorder commit through it). */
export async function record(consumer: GroupConsumer, recorder: Recorder = new Recorder()): Promise<Recorder> {
  recorder.consumer = consumer;
  await consumer.start(recorder);
  return recorder;
}

/**
 * Waits until `recorders` together have received at least `n` records and returns them (all recorders' records,
 * each recorder's in arrival order). Rejects with what arrived after `timeoutMs`, a failure guard only.
 */
export async function collect(recorders: Recorder | Recorder[], n: number, timeoutMs: number): Promise<BrokerRecord[]> {
  const list = Array.isArray(recorders) ? recorders : [recorders];
  const all = () => list.flatMap((r) => r.records);
  await waitFor(
    () => all().length >= n,
    () => `${n} records; got ${all().length}: ${summarize(all())}`,
    timeoutMs,
  );
  for (const r of list) assert.deepEqual(r.violations, [], `${r.name} saw the listener contract broken`);
  return all();
}

/** `topic/partition@offset` of records, for failure messages (at most 20). */
export function summarize(records: RecordPosition[]): string {
  const shown = records.slice(0, 20).map((r) => `${tpKey(r)}@${r.offset}`);
  return shown.join(', ') + (records.length > 20 ? `, … (${records.length - 20} more)` : '');
}

/** `partition:offset` strings, sorted, to compare delivered positions exactly. */
export function positions(records: RecordPosition[]): string[] {
  return records.map((r) => `${r.topic}/${r.partition}:${r.offset}`).sort();
}

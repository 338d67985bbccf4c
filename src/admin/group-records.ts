import type { Broker, BrokerRecord, TopicPartition } from '../broker/port.ts';
import { type RecordView, recordView } from './records.ts';

/** What `groupRecords` consumes, and when it stops. */
export interface GroupReadOptions {
  group: string;
  topic: string;
  /** Stop after this many records. Default: no limit. */
  limit?: number;
  /** Keep waiting for new records; otherwise stop once this member's partitions are read to their end. */
  follow?: boolean;
  /** Stops the read (the member commits what was taken and leaves). */
  signal?: AbortSignal;
  /** Identifies the member in group descriptions. Default `herald-cli`. */
  clientId?: string;
}

/** How often a caught-up member checks whether it is done. */
const IDLE_CHECK_MS = 200;

interface Batch {
  records: BrokerRecord[];
  /** Called with how many of the records were taken; the member commits those. */
  done(taken: number): void;
}

/**
 * Consumes `topic` as a member of `group`, as `kcat -G` does: the group's other members share the partitions, a
 * partition starts at the group's committed offset (else the earliest), and the records taken are committed — each
 * batch once the caller asks for more or stops, so a caller that stops after a record commits that record and no
 * further. Without `follow`, stops when every partition the member owns is read up to where it ended at the start.
 */
export async function* groupRecords(broker: Broker, options: GroupReadOptions): AsyncGenerator<RecordView> {
  const ends = new Map(
    (await broker.admin.describeTopic(options.topic)).partitions.map((p) => [p.partition, p.latest]),
  );
  const positions = new Map<number, number>();
  const queue: Batch[] = [];
  let wake: (() => void) | undefined;
  const consumer = broker.consumer({
    group: options.group,
    topics: [options.topic],
    clientId: options.clientId ?? 'herald-cli',
    startAt: 'earliest',
  });
  await consumer.start({
    onRecords: (records) =>
      new Promise<void>((resolve) => {
        queue.push({
          records,
          done: (taken) => {
            const last = records[taken - 1];
            if (last === undefined) return resolve();
            positions.set(last.partition, last.offset + 1);
            consumer
              .commit([{ topic: last.topic, partition: last.partition, offset: last.offset + 1 }])
              .catch(() => {}) // revoked meanwhile: the next owner reads the batch again
              .finally(resolve);
          },
        });
        wake?.();
      }),
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  let left = options.limit ?? Number.POSITIVE_INFINITY;
  const aborted = () => options.signal?.aborted === true;
  try {
    while (left > 0 && !aborted()) {
      const batch = queue.shift();
      if (batch === undefined) {
        if (options.follow !== true && (await caughtUp(broker, options.group, consumer.assignment(), ends, positions))) {
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, IDLE_CHECK_MS).unref();
        });
        wake = undefined;
        continue;
      }
      let taken = 0;
      try {
        for (const record of batch.records) {
          if (left <= 0 || aborted()) break;
          taken += 1;
          left -= 1;
          yield recordView(record);
        }
      } finally {
        batch.done(taken);
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const batch of queue.splice(0)) batch.done(0);
    await consumer.close();
  }
}

/** Whether every owned partition is read up to its end as of the start (committed offsets count as read). */
async function caughtUp(
  broker: Broker,
  group: string,
  owned: TopicPartition[],
  ends: Map<number, number>,
  positions: Map<number, number>,
): Promise<boolean> {
  if (owned.length === 0) return false;
  const unknown = owned.filter((tp) => !positions.has(tp.partition));
  if (unknown.length > 0) {
    const info = await broker.admin.describeGroup(group).catch(() => undefined);
    const earliest = new Map(
      (await broker.admin.describeTopic(owned[0].topic)).partitions.map((p) => [p.partition, p.earliest]),
    );
    for (const tp of unknown) {
      const committed = info?.offsets.find((o) => o.topic === tp.topic && o.partition === tp.partition)?.committed;
      if (committed !== null && committed !== undefined) positions.set(tp.partition, committed);
      else if ((ends.get(tp.partition) ?? 0) <= (earliest.get(tp.partition) ?? 0)) {
        positions.set(tp.partition, ends.get(tp.partition) ?? 0); // nothing to read there
      }
    }
  }
  return owned.every((tp) => (positions.get(tp.partition) ?? -1) >= (ends.get(tp.partition) ?? 0));
}

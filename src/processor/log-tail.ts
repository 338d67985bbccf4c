import type { Broker, BrokerRecord } from '../broker/port.ts';

/** Bounds of a partition as a read_committed reader sees them. */
export interface PartitionBounds {
  /** First offset still stored. */
  earliest: number;
  /**
   * The offset a read_committed reader can reach now: "caught up" means position >= end, never "read N records"
   * (transaction markers and compaction leave offsets without visible records).
   */
  end: number;
}

/**
 * How the processor layer reads changelogs (restore, views, hot standby): a partition's bounds and its records from
 * an offset, committed records only. One implementation per broker capability; see {@link adminTail}.
 */
export interface LogTail {
  bounds(topic: string, partition: number): Promise<PartitionBounds>;
  /** Up to `limit` committed records from `offset` (clamped to the earliest stored); `[]` when none is visible. */
  read(topic: string, partition: number, offset: number, limit: number): Promise<BrokerRecord[]>;
}

/**
 * A {@link LogTail} over `Admin.read` (read_committed) and `Admin.endOffsets` (read_committed: on Kafka the last
 * stable offset, not the high watermark, so a restore never waits for records of an open transaction).
 */
export function adminTail(broker: Broker): LogTail {
  return {
    async bounds(topic, partition) {
      const partitions = await broker.admin.endOffsets(topic, { isolation: 'read_committed' });
      const p = partitions.find((x) => x.partition === partition);
      return { earliest: p?.earliest ?? 0, end: p?.latest ?? 0 };
    },
    read(topic, partition, offset, limit) {
      return broker.admin.read({ topic, partition, offset }, limit);
    },
  };
}

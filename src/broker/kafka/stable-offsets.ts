/**
 * Committed offsets as a read_committed member must start from: OffsetFetch with `require_stable` (KIP-447).
 *
 * Kafka answers EndTxn before it writes the transaction's markers, and until then a plain OffsetFetch returns the
 * offsets from before the transaction (8 of 30 lookups right after a `commitTransaction`, on the local node). A
 * member taking a partition over in that moment would start before records the transaction already consumed, and
 * emit their results a second time. With `require_stable` the broker answers UNSTABLE_OFFSET_COMMIT instead, and the
 * lookup is asked again until the markers are written. (The library's own lookup does not set the flag.)
 */
import { type ConnectionPool, type Consumer, findErrorBy, offsetFetchV8 } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import { coordinatorConnection } from './coordinator.ts';

/** Asked again after 5, 10, 20 … ms, this many times at most: markers follow EndTxn within milliseconds. */
const UNSTABLE_RETRIES = 10;
const UNSTABLE_FIRST_DELAY_MS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The committed offset of each partition of `topics` in `client`'s group, by topic and partition (-1 when none),
 * as the library's `listCommittedOffsets` gives them.
 */
export async function stableCommittedOffsets(
  client: Consumer,
  pool: ConnectionPool,
  topics: { topic: string; partitions: number[] }[],
): Promise<Map<string, bigint[]>> {
  const request = [
    { groupId: client.groupId, memberEpoch: -1, topics: topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) },
  ];
  for (let attempt = 0; ; attempt++) {
    try {
      const connection = await coordinatorConnection(client, pool);
      const response = await offsetFetchV8.api.async(connection, request, true);
      const out = new Map<string, bigint[]>();
      for (const group of response.groups) {
        for (const topic of group.topics) {
          const offsets = out.get(topic.name) ?? [];
          for (const p of topic.partitions) offsets[p.partitionIndex] = p.committedOffset;
          out.set(topic.name, offsets);
        }
      }
      return out;
    } catch (err) {
      const unstable = err instanceof Error && findErrorBy(err, 'apiId', 'UNSTABLE_OFFSET_COMMIT') !== null;
      if (!unstable) throw err;
      if (attempt >= UNSTABLE_RETRIES) {
        throw new HeraldError(
          'HERALD_TIMEOUT',
          `group ${client.groupId}: a transaction still open holds committed offsets (it ends when its producer's successor fences it, or when it times out)`,
          { cause: err, retriable: true },
        );
      }
      await sleep(Math.min(UNSTABLE_FIRST_DELAY_MS * 2 ** attempt, 500));
    }
  }
}

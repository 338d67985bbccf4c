/**
 * Kafka's second transaction protocol (KIP-890 part 2: the cluster's `transaction.version` feature at 2, the
 * default of clusters formatted by Kafka 4.0 or newer). A transaction then needs no AddPartitionsToTxn and no
 * AddOffsetsToTxn: a partition leader given Produce v12 adds its partition to the transaction itself, and the group
 * coordinator given TxnOffsetCommit v5 adds the offsets. So the records and the offsets go out side by side at once,
 * then EndTxn (v5) — two round trips and three requests instead of three and five. EndTxn v5 ends the producer's
 * epoch with every transaction and answers the next one (the producer id too, once an epoch runs out), under which
 * the records of the next transaction count their sequence numbers from 0.
 *
 * The wallet on the local Kafka node at the default spacing (`bench/wallet.ts`, BENCHMARKS.md 2026-12-05 18:50):
 * 11,678–12,560 deposits/s on 2 against 10,534–11,551 on 1, alternating.
 */
import {
  apiVersionsV4,
  type Connection,
  createAPI,
  type Producer as LibraryProducer,
  type Reader,
  ResponseError,
  txnOffsetCommitV3,
  Writer,
} from '@platformatic/kafka';
import type { ProducerIdentity } from './record-batches.ts';

/** The request versions of the second protocol; the first uses lower ones. */
export const V2_VERSIONS = { Produce: 12, TxnOffsetCommit: 5, EndTxn: 5 } as const;

/** The feature a cluster finalizes at level 2 to run the second protocol. */
const FEATURE = 'transaction.version';

/**
 * Whether the cluster runs the second protocol: its brokers take the versions of {@link V2_VERSIONS} and its
 * `transaction.version` is finalized at 2 or more (ApiVersions v3+ tells; a broker that only takes older versions
 * of ApiVersions has no such feature). `connection`: any broker of the cluster.
 */
export async function usesTransactionV2(producer: Pick<LibraryProducer, 'listApis'>, connection: Connection): Promise<boolean> {
  const apis = await producer.listApis();
  const max = (name: string) => apis.find((a) => a.name === name)?.maxVersion ?? -1;
  if (Object.entries(V2_VERSIONS).some(([name, version]) => max(name) < version)) return false;
  if (max('ApiVersions') < 4) return false;
  const answer = await apiVersionsV4.api.async(connection, 'herald', '1');
  return (answer.finalizedFeatures ?? []).some((f) => f.name === FEATURE && f.maxVersionLevel >= 2);
}

/** TxnOffsetCommit v5: the bytes of v3 and v4; the coordinator adds the offsets to the transaction itself. */
export const txnOffsetCommitV5 = createAPI(28, V2_VERSIONS.TxnOffsetCommit, txnOffsetCommitV3.createRequest, txnOffsetCommitV3.parseResponse);

/*
  EndTxn Request (Version: 5) => transactional_id producer_id producer_epoch committed TAG_BUFFER
  EndTxn Response (Version: 5) => throttle_time_ms error_code producer_id producer_epoch TAG_BUFFER
*/
function createEndTxnRequest(transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean): Writer {
  return Writer.create()
    .appendString(transactionalId, true)
    .appendInt64(producerId)
    .appendInt16(producerEpoch)
    .appendBoolean(committed)
    .appendTaggedFields();
}

export interface EndTxnV5Response {
  throttleTimeMs: number;
  errorCode: number;
  /** The producer id and epoch of the next transaction. */
  producerId: bigint;
  producerEpoch: number;
}

function parseEndTxnResponse(_correlationId: number, apiKey: number, apiVersion: number, reader: Reader): EndTxnV5Response {
  const response: EndTxnV5Response = {
    throttleTimeMs: reader.readInt32(),
    errorCode: reader.readInt16(),
    producerId: reader.readInt64(),
    producerEpoch: reader.readInt16(),
  };
  reader.readTaggedFields();
  if (response.errorCode !== 0) throw new ResponseError(apiKey, apiVersion, { '/': [response.errorCode, null] }, response);
  return response;
}

const endTxnV5 = createAPI<[string, bigint, number, boolean], EndTxnV5Response>(
  26,
  V2_VERSIONS.EndTxn,
  createEndTxnRequest,
  parseEndTxnResponse,
);

/**
 * Commits (`committed`) or aborts the open transaction of `transactionalId` with EndTxn v5, sent to its
 * transaction coordinator; resolves with the producer id and epoch of the next transaction.
 */
export async function endTransaction(
  coordinator: Connection,
  transactionalId: string,
  identity: ProducerIdentity,
  committed: boolean,
): Promise<ProducerIdentity> {
  const answer = await endTxnV5.async(coordinator, transactionalId, identity.producerId, identity.producerEpoch, committed);
  return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
}

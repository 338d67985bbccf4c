/**
 * The library producer behind a transactional committer (`transactions.ts`): it registers the transactional id
 * (InitProducerId) and finds its coordinator, and on Kafka's first transaction protocol adds partitions and offsets
 * to transactions and ends them. The records go out in Herald's own produce requests.
 */
import { Producer, ProduceAcks, stringSerializer } from '@platformatic/kafka';
import { childClientId, type KafkaSettings } from './options.ts';
import type { ProducerIdentity } from './record-batches.ts';
import { TRANSACTION_RETRIES, transactionRetryDelay } from './transaction-errors.ts';

/**
 * A library producer for `transactionalId`. `identity`: this instance's last producer id and epoch, presented by its
 * InitProducerId (KIP-588), so a zombie can never fence its successor; none for the first.
 */
export function transactionalProducer(
  settings: KafkaSettings,
  options: { transactionalId: string; transactionTimeoutMs: number },
  identity: ProducerIdentity | undefined,
): Producer<Buffer, Buffer, string, string> {
  return new Producer<Buffer, Buffer, string, string>({
    ...settings.base,
    clientId: childClientId(settings, 'transactions'),
    transactionalId: options.transactionalId,
    idempotent: true,
    // "No producer id yet" is -1/-1 in InitProducerId (KIP-360). The library's default, 0/0, names a producer that
    // does not exist: the coordinator then refuses a second instance of an id as fenced instead of bumping the
    // epoch, which is the whole point of a stable transactional id. Later producers present the last identity.
    producerId: identity?.producerId ?? -1n,
    producerEpoch: identity?.producerEpoch ?? -1,
    acks: ProduceAcks.ALL,
    compression: settings.producer.compression,
    // The library sends this as the transaction timeout in InitProducerId (and uses it as its request timeout).
    timeout: options.transactionTimeoutMs,
    retries: TRANSACTION_RETRIES,
    retryDelay: transactionRetryDelay,
    serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
  });
}

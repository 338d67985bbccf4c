import { KafkaError } from '../wire/errors.ts';
import { field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: number;
  producerEpoch: number;
}

interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/**
 * InitProducerId (22): a producer id and epoch for an idempotent producer (see `records/producer-states.ts`), or,
 * with a transactional id, from the transaction coordinator (`transactions/transaction-coordinator.ts`), which
 * fences the id's previous holder and aborts its open transaction.
 */
export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  name: 'InitProducerId',
  min: 0,
  max: 5,
  request: message(
    '2+',
    field('transactionalId', 'string', '0+', { nullable: '0+' }),
    field('transactionTimeoutMs', 'int32', '0+'),
    field('producerId', 'int64', '3+', { default: -1 }),
    field('producerEpoch', 'int16', '3+', { default: -1 }),
  ),
  response: message(
    '2+',
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '0+', { default: -1 }),
    field('producerEpoch', 'int16', '0+'),
  ),
  async handle(request, { broker, version }) {
    const refuse = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
    const granted =
      request.transactionalId === null
        ? broker.producers.init(request.producerId, request.producerEpoch)
        : await broker.transactions.init(
            request.transactionalId,
            request.transactionTimeoutMs,
            request.producerId,
            request.producerEpoch,
          );
    // PRODUCER_FENCED came with version 4; older clients know the same answer as INVALID_PRODUCER_EPOCH.
    if ('error' in granted && granted.error === KafkaError.PRODUCER_FENCED && version < 4) {
      return refuse(KafkaError.INVALID_PRODUCER_EPOCH);
    }
    if ('error' in granted) return refuse(granted.error);
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, producerId: granted.producerId, producerEpoch: granted.epoch };
  },
});

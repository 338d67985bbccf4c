import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { brokerEntry } from './metadata.ts';

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}

const GROUP = 0;
const TRANSACTION = 1;

/**
 * FindCoordinator (10): this broker coordinates every consumer group and every transactional id. Share-group
 * coordinators do not exist here: asking for one is answered UNSUPPORTED_VERSION with a message, which clients
 * report as a plain, non-retriable error.
 */
export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  name: 'FindCoordinator',
  min: 0,
  max: 6,
  request: message(
    '3+',
    field('key', 'string', '0-3'),
    field('keyType', 'int8', '1+'),
    field('coordinatorKeys', array('string'), '4+'),
  ),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0-3'),
    field('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    field('nodeId', 'int32', '0-3'),
    field('host', 'string', '0-3'),
    field('port', 'int32', '0-3'),
    field(
      'coordinators',
      array([
        field('key', 'string', '4+'),
        field('nodeId', 'int32', '4+'),
        field('host', 'string', '4+'),
        field('port', 'int32', '4+'),
        field('errorCode', 'int16', '4+'),
        field('errorMessage', 'string', '4+', { nullable: '4+' }),
      ]),
      '4+',
    ),
  ),
  handle(request, { broker, version }) {
    const keys = version < 4 ? [request.key] : request.coordinatorKeys;
    const coordinators = keys.map((key): Coordinator => {
      if (request.keyType !== GROUP && request.keyType !== TRANSACTION) {
        const errorMessage = `coordinator key type ${request.keyType} is not supported by the embedded broker`;
        return { key, nodeId: -1, host: '', port: -1, errorCode: KafkaError.UNSUPPORTED_VERSION, errorMessage };
      }
      return { key, ...brokerEntry(broker), errorCode: KafkaError.NONE, errorMessage: null };
    });
    const first = coordinators[0];
    return {
      throttleTimeMs: 0,
      errorCode: first?.errorCode ?? KafkaError.NONE,
      errorMessage: first?.errorMessage ?? null,
      nodeId: first?.nodeId ?? -1,
      host: first?.host ?? '',
      port: first?.port ?? -1,
      coordinators,
    };
  },
});

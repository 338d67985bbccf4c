import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { type AnyApi, defineApi } from './api.ts';

interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[];
  throttleTimeMs: number;
}

export const apiVersionsResponseSchema = message(
  '3+',
  field('errorCode', 'int16', '0+'),
  field(
    'apiKeys',
    array([field('apiKey', 'int16', '0+'), field('minVersion', 'int16', '0+'), field('maxVersion', 'int16', '0+')]),
    '0+',
  ),
  field('throttleTimeMs', 'int32', '1+'),
);

/** The versions this listener answers, for ApiVersions responses (including the UNSUPPORTED_VERSION one). */
export function advertised(apis: readonly AnyApi[]): ApiVersionsResponse['apiKeys'] {
  return apis.map((api) => ({ apiKey: api.key, minVersion: api.min, maxVersion: api.max }));
}

/**
 * ApiVersions (18): which APIs and versions the listener speaks. A client asking with a newer version than ours
 * gets a v0 answer with UNSUPPORTED_VERSION and the list, and retries with one we know (handled by the connection,
 * which knows the registry).
 */
export function apiVersionsApi(all: () => readonly AnyApi[]): AnyApi {
  return defineApi<object, ApiVersionsResponse>({
    key: 18,
    name: 'ApiVersions',
    min: 0,
    max: 4,
    request: message('3+', field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')),
    response: apiVersionsResponseSchema,
    handle: () => ({ errorCode: KafkaError.NONE, apiKeys: advertised(all()), throttleTimeMs: 0 }),
  });
}

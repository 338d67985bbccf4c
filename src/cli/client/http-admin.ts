import type { AdminApi } from '../../admin/api.ts';
import { toMessageInput } from '../../admin/records.ts';
import type { OutgoingRecord, RecordPosition, TopicSpec } from '../../broker/port.ts';
import { adminCall } from './admin-http.ts';

/** The {@link AdminApi} of a running Herald, through its `/admin` routes (which serve the same interface). */
export function httpAdminApi(baseUrl: string, token: string): AdminApi {
  // The admin routes answer with exactly the shapes AdminApi promises.
  const call = adminCall(baseUrl, token) as (method: string, path: string, body?: unknown) => Promise<never>;
  const enc = encodeURIComponent;
  return {
    createTopic: (spec: TopicSpec) => call('POST', '/topics', spec),
    listTopics: () => call('GET', '/topics'),
    describeTopic: (name) => call('GET', `/topics/${enc(name)}`),
    deleteTopic: (name) => call('DELETE', `/topics/${enc(name)}`),
    produce: (records: OutgoingRecord[]) =>
      call('POST', `/topics/${enc(records[0].topic)}/messages`, records.map(toMessageInput)),
    read: (p: RecordPosition, limit: number) =>
      call('GET', `/topics/${enc(p.topic)}/messages?partition=${p.partition}&offset=${p.offset}&limit=${limit}`),
    listGroups: () => call('GET', '/groups'),
    describeGroup: (group) => call('GET', `/groups/${enc(group)}`),
    deadLetterTopics: () => call('GET', '/dlq'),
    deadLetters: (topic, filter) => {
      const query = new URLSearchParams();
      if (filter.key !== undefined) query.set('key', filter.key);
      if (filter.since !== undefined) query.set('since', String(filter.since));
      if (filter.until !== undefined) query.set('until', String(filter.until));
      if (filter.fromOffset !== undefined) query.set('offset', String(filter.fromOffset));
      if (filter.limit !== undefined) query.set('limit', String(filter.limit));
      return call('GET', `/dlq/${enc(topic)}/messages?${query}`);
    },
    replay: (topic, options) => call('POST', `/dlq/${enc(topic)}/replay`, options),
    processors: () => call('GET', '/processors'),
    close: async () => {},
  };
}

import type { OutgoingRecord, RecordPosition, TopicSpec } from '../../broker/port.ts';
import { adminCall } from './admin-http.ts';
import type { AdminTarget } from './target.ts';

/** Talks to a running Herald's `/admin` API. */
export function httpTarget(baseUrl: string, token: string): AdminTarget {
  // The admin API answers with exactly the shapes AdminTarget promises.
  const call = adminCall(baseUrl, token) as (method: string, path: string, body?: unknown) => Promise<never>;
  const enc = encodeURIComponent;
  return {
    createTopic: (spec: TopicSpec) => call('POST', '/topics', spec),
    listTopics: () => call('GET', '/topics'),
    describeTopic: (name) => call('GET', `/topics/${enc(name)}`),
    deleteTopic: (name) => call('DELETE', `/topics/${enc(name)}`),
    produce: (records: OutgoingRecord[]) =>
      call(
        'POST',
        `/topics/${enc(records[0].topic)}/messages`,
        records.map((r) => ({
          key: r.key?.toString('base64') ?? null,
          value: r.value?.toString('base64') ?? null,
          headers: r.headers,
          partition: r.partition,
          encoding: 'base64',
        })),
      ),
    read: (p: RecordPosition, limit: number) =>
      call('GET', `/topics/${enc(p.topic)}/messages?partition=${p.partition}&offset=${p.offset}&limit=${limit}`),
    listGroups: () => call('GET', '/groups'),
    describeGroup: (group) => call('GET', `/groups/${enc(group)}`),
    close: async () => {},
  };
}

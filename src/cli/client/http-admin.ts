import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { AdminApi } from '../../admin/api.ts';
import type { ReadQuery } from '../../admin/pages.ts';
import { formatCursor, formatStart } from '../../admin/positions.ts';
import { type RecordView, toMessageInput } from '../../admin/records.ts';
import type { OutgoingRecord, TopicSpec } from '../../broker/port.ts';
import { adminCall, adminStream } from './admin-http.ts';

/** The page parameters of a read as a query string. */
function pageParams(query: Omit<ReadQuery, 'topic'>, params = new URLSearchParams()): URLSearchParams {
  if (query.start !== undefined) params.set('offset', formatStart(query.start));
  if (query.cursor !== undefined) params.set('cursor', formatCursor(query.cursor));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.maxBytes !== undefined) params.set('maxBytes', String(query.maxBytes));
  return params;
}

/** The {@link AdminApi} of a running Herald, through its `/admin` routes (which serve the same interface). */
export function httpAdminApi(baseUrl: string, token: string): AdminApi {
  // The admin routes answer with exactly the shapes AdminApi promises.
  const call = adminCall(baseUrl, token) as (method: string, path: string, body?: unknown) => Promise<never>;
  const stream = adminStream(baseUrl, token);
  const enc = encodeURIComponent;
  return {
    createTopic: (spec: TopicSpec) => call('POST', '/topics', spec),
    listTopics: () => call('GET', '/topics'),
    describeTopic: (name) => call('GET', `/topics/${enc(name)}`),
    topicStorage: (name) => call('GET', `/topics/${enc(name)}/storage`),
    deleteTopic: (name) => call('DELETE', `/topics/${enc(name)}`),
    produce: (records: OutgoingRecord[]) =>
      call('POST', `/topics/${enc(records[0].topic)}/messages`, records.map(toMessageInput)),
    read: (query: ReadQuery) => {
      const params = pageParams(query);
      if (query.partition !== undefined) params.set('partition', String(query.partition));
      if (query.key !== undefined) params.set('key', query.key);
      return call('GET', `/topics/${enc(query.topic)}/messages?${params}`);
    },
    async *groupRecords({ group, topic, limit, follow, signal }) {
      const params = new URLSearchParams({ topic, follow: String(follow === true) });
      if (limit !== undefined) params.set('limit', String(limit));
      const body = await stream(`/groups/${enc(group)}/records?${params}`, signal);
      try {
        for await (const line of createInterface({ input: Readable.fromWeb(body) })) {
          if (line.length > 0) yield JSON.parse(line) as RecordView;
        }
      } catch (err) {
        if (signal?.aborted !== true) throw err;
      }
    },
    metadata: () => call('GET', '/metadata'),
    listGroups: () => call('GET', '/groups'),
    describeGroup: (group) => call('GET', `/groups/${enc(group)}`),
    deadLetterTopics: () => call('GET', '/dlq'),
    deadLetters: (topic, filter) => {
      const query = pageParams(filter);
      if (filter.key !== undefined) query.set('key', filter.key);
      if (filter.since !== undefined) query.set('since', String(filter.since));
      if (filter.until !== undefined) query.set('until', String(filter.until));
      return call('GET', `/dlq/${enc(topic)}/messages?${query}`);
    },
    replay: (topic, { start, cursor, ...options }) =>
      call('POST', `/dlq/${enc(topic)}/replay`, {
        ...options,
        ...(start === undefined ? {} : { offset: formatStart(start) }),
        ...(cursor === undefined ? {} : { cursor: formatCursor(cursor) }),
      }),
    processors: () => call('GET', '/processors'),
    close: async () => {},
  };
}

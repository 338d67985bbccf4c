import type { OutgoingRecord, RecordPosition, TopicSpec } from '../../broker/broker.ts';
import { ERROR_CODES, type ErrorCode, HeraldError } from '../../errors.ts';
import type { AdminTarget } from './target.ts';

/** Talks to a running Herald's `/admin` API. */
export function httpTarget(baseUrl: string, token: string): AdminTarget {
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/admin${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new HeraldError(
        'HERALD_BROKER_UNAVAILABLE',
        `no Herald server answers at ${baseUrl} (start one, or pass --server/--broker)`,
        { cause: err },
      );
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const code = json?.error?.code in ERROR_CODES ? (json.error.code as ErrorCode) : 'HERALD_INTERNAL';
      throw new HeraldError(code, json?.error?.message ?? `HTTP ${response.status}`, { details: json?.error?.details });
    }
    return json;
  };
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

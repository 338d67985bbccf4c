import type { Logger } from 'pino';
import { HeraldError } from '#herald';
import type { Task } from '../task.ts';
import type { SearchResult, TaskIndex, TaskQuery } from './task-index.ts';

/** A task as stored in OpenSearch: the task, flattened for filters, or a tombstone (`deleted: true`). */
interface IndexedTask {
  id: string;
  deleted: boolean;
  description?: string;
  priority?: string;
  is_done?: boolean;
  task?: Task;
}

const MAPPINGS = {
  dynamic: 'strict',
  properties: {
    id: { type: 'keyword' },
    deleted: { type: 'boolean' },
    description: { type: 'text', analyzer: 'standard' },
    priority: { type: 'keyword' },
    is_done: { type: 'boolean' },
    task: { type: 'object', enabled: false },
  },
} as const;

/**
 * The search index on OpenSearch (`tasks.search.url`). Versions use OpenSearch's external versioning: a write at
 * a version not above the stored one is refused by OpenSearch itself (409), atomically, so concurrent or replayed
 * writes cannot go backwards. Deletions are kept as tombstone documents (a real delete's version is forgotten
 * after `index.gc_deletes`, after which a replayed update would resurrect the task). The index refreshes every
 * 200 ms, so a write is searchable within about that.
 */
export class OpenSearchTaskIndex implements TaskIndex {
  readonly kind = 'opensearch';
  readonly #url: string;
  readonly #index: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;

  constructor(options: { url: string; index: string; timeoutMs?: number; logger?: Logger }) {
    this.#url = options.url.replace(/\/+$/, '');
    this.#index = options.index;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#logger = options.logger;
  }

  /** Creates the index with its mappings when missing. */
  async start(): Promise<void> {
    const exists = await this.#request('HEAD', `/${this.#index}`);
    if (exists.status === 200) return;
    const created = await this.#request('PUT', `/${this.#index}`, {
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '200ms' },
      mappings: MAPPINGS,
    });
    // Another process may have created it meanwhile.
    if (created.status >= 300 && !/resource_already_exists/.test(created.text)) throw this.#failure('create the index', created);
  }

  put(task: Task, version: number): Promise<boolean> {
    return this.#write(task.id, version, {
      id: task.id,
      deleted: false,
      description: task.description,
      priority: task.priority,
      is_done: task.is_done,
      task,
    });
  }

  remove(id: string, version: number): Promise<boolean> {
    return this.#write(id, version, { id, deleted: true });
  }

  async #write(id: string, version: number, doc: IndexedTask): Promise<boolean> {
    const path = `/${this.#index}/_doc/${encodeURIComponent(id)}?version=${version}&version_type=external`;
    const response = await this.#request('PUT', path, doc);
    if (response.status === 409) return false; // holds this version or a newer one
    if (response.status >= 300) throw this.#failure('index a task', response);
    return true;
  }

  async search(query: TaskQuery): Promise<SearchResult> {
    const filter: object[] = [{ term: { deleted: false } }];
    if (query.priority !== undefined) filter.push({ term: { priority: query.priority } });
    if (query.is_done !== undefined) filter.push({ term: { is_done: query.is_done } });
    const must = query.description === undefined ? [] : [{ match: { description: { query: query.description, operator: 'and' } } }];
    const response = await this.#request('POST', `/${this.#index}/_search`, {
      query: { bool: { must, filter } },
      sort: query.description === undefined ? [{ id: 'asc' }] : ['_score', { id: 'asc' }],
      from: query.from,
      size: query.size,
      track_total_hits: true,
      _source: ['task'],
    });
    if (response.status >= 300) throw this.#failure('search', response);
    const body = JSON.parse(response.text) as {
      hits: { total: { value: number }; hits: { _source: { task: Task } }[] };
    };
    return { tasks: body.hits.hits.map((h) => h._source.task), total: body.hits.total.value };
  }

  async stop(): Promise<void> {}

  async #request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    try {
      const response = await fetch(`${this.#url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return { status: response.status, text: method === 'HEAD' ? '' : await response.text() };
    } catch (err) {
      this.#logger?.debug({ err, path }, 'OpenSearch request failed');
      throw new HeraldError('HERALD_STORAGE_FAILED', `OpenSearch at ${this.#url} did not answer: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  #failure(what: string, response: { status: number; text: string }): HeraldError {
    return new HeraldError('HERALD_STORAGE_FAILED', `OpenSearch could not ${what}: ${response.status} ${response.text.slice(0, 300)}`, {
      retriable: response.status >= 500 || response.status === 429,
    });
  }
}

/**
 * The `tasks` config section. With every default, `npm start` keeps tasks in SQLite and searches them with SQLite
 * FTS5, both in the data dir; `database.url` and `search.url` switch to PostgreSQL and OpenSearch.
 */
import { integer, oneOf, string } from '#herald';
import type { ConfigOf } from '#herald';

const NAME = /^[a-zA-Z0-9._-]{1,200}$/;

export const tasksConfigSchema = {
  topic: string('tasks', 'topic of task events (created at boot when missing)', NAME, 'a topic name'),
  partitions: integer(3, 'partitions of the topic when it is created', 1, 10_000),
  group: string('tasks-indexer', "the indexer's consumer group", NAME, 'a group name'),
  database: {
    url: string(
      '',
      'PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/tasks (empty: SQLite in <dataDir>/tasks/tasks.db)',
      /^(|postgres(ql)?:\/\/\S+)$/,
      'a postgres:// URL or empty',
    ),
    poolSize: integer(20, 'PostgreSQL: connections of the API pool', 1, 1_000),
    durability: oneOf('fsync', 'SQLite: answer once the commit is synced, or leave flushing to the OS', ['fsync', 'os']),
  },
  search: {
    url: string(
      '',
      'OpenSearch URL, e.g. http://127.0.0.1:9200 (empty: SQLite FTS5 in <dataDir>/tasks/search.db)',
      /^(|https?:\/\/\S+)$/,
      'an http(s) URL or empty',
    ),
    index: string('tasks', 'OpenSearch index (created when missing)', /^[a-z0-9][a-z0-9._-]{0,200}$/, 'an index name'),
  },
  outbox: {
    batchSize: integer(500, 'most events the relay publishes in one send', 1, 100_000),
    fallbackPollMs: integer(5_000, 'the relay polls this often when no commit woke it', 10, 3_600_000),
    retentionMs: integer(300_000, 'published outbox rows are deleted after this long', 0, 30 * 86_400_000),
    cleanupIntervalMs: integer(10_000, 'how often published rows are cleaned up', 100, 86_400_000),
  },
  indexer: {
    concurrency: integer(16, 'events of one partition indexed at once (one task strictly in order)', 1, 10_000),
  },
};

export type TasksConfig = ConfigOf<typeof tasksConfigSchema>;

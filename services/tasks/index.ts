/**
 * tasks — the to-do service (SPEC 2.5): a REST API over tasks kept in SQLite (default) or PostgreSQL, every
 * change and its event committed together through the transactional outbox, a relay publishing the events to the
 * `tasks` topic keyed by task id, and an indexer group keeping a search index (SQLite FTS5, or OpenSearch) that
 * `POST /tasks/search` reads. See services/tasks/README.md.
 */
import path from 'node:path';
import type { Producer } from '#herald/broker';
import { OutboxRelay } from '#herald/outbox';
import { type Component, creates, type ServiceContext, type ServiceDefinition, withDatabaseSpans } from '#herald';
import { registerTasksApi } from './api.ts';
import { type TasksConfig, tasksConfigSchema } from './config.ts';
import { AGGREGATE_TYPE } from './events.ts';
import { indexerRouter } from './indexer.ts';
import { FtsTaskIndex } from './search/fts.ts';
import { OpenSearchTaskIndex } from './search/opensearch.ts';
import type { TaskIndex } from './search/task-index.ts';
import { PostgresTaskRepository } from './store/postgres.ts';
import type { TaskRepository } from './store/repository.ts';
import { SqliteTaskRepository } from './store/sqlite.ts';

export type { TasksConfig } from './config.ts';

/** The tasks service, bootable alone (`herald start tasks`) or with the others. */
export const tasksService: ServiceDefinition<TasksConfig> = {
  name: 'tasks',
  summary: 'to-do tasks: REST API, transactional outbox to the tasks topic, search indexer',
  configSchema: tasksConfigSchema,
  // The outbox relay writes the tasks topic; the indexer reads it (its dead letters come from its router).
  topology: (config) => [creates('tasks', 'output', { name: config.topic, partitions: config.partitions })],
  create: createComponents,
};

function createComponents(context: ServiceContext<TasksConfig>): Component[] {
  const { config, platform, broker, logger, app } = context;
  const dir = path.join(platform.dataDir, 'tasks');
  const repository = withDatabaseSpans<TaskRepository>(
    config.database.url === ''
      ? new SqliteTaskRepository({ file: path.join(dir, 'tasks.db'), durability: config.database.durability, logger })
      : new PostgresTaskRepository({ url: config.database.url, poolSize: config.database.poolSize, logger }),
    config.database.url === '' ? 'sqlite' : 'postgresql',
    'tasks',
    ['create', 'find', 'update', 'delete'],
  );
  const index = withDatabaseSpans<TaskIndex>(
    config.search.url === ''
      ? new FtsTaskIndex({ file: path.join(dir, 'search.db'), logger })
      : new OpenSearchTaskIndex({ url: config.search.url, index: config.search.index, logger }),
    config.search.url === '' ? 'sqlite' : 'opensearch',
    config.search.url === '' ? 'tasks-search' : config.search.index,
    ['put', 'remove', 'search'],
  );
  registerTasksApi(app, { repository, index });

  let producer: Producer | undefined;
  const relayProducer: Producer = {
    send: (records) => producer!.send(records),
    close: async () => {},
  };
  const relay = new OutboxRelay({
    store: repository.outbox,
    producer: relayProducer,
    logger,
    name: 'tasks-outbox-relay',
    route: (type) => (type === AGGREGATE_TYPE ? config.topic : type),
    batchSize: config.outbox.batchSize,
    fallbackPollMs: config.outbox.fallbackPollMs,
    cleanup: { intervalMs: config.outbox.cleanupIntervalMs, retentionMs: config.outbox.retentionMs },
  });

  // Started in this order, stopped in reverse once HTTP has stopped: the indexer drains and commits, the relay
  // finishes its batch, then the index and the database close.
  return [
    { name: 'tasks-database', start: () => repository.start(), stop: () => repository.stop() },
    { name: 'tasks-index', start: () => index.start(), stop: () => index.stop() },
    {
      name: 'tasks-outbox-relay',
      start: async () => {
        producer = broker.producer();
        await relay.start();
      },
      stop: async () => {
        await relay.stop();
        await producer?.close();
      },
    },
    indexerRouter({
      broker,
      logger,
      metrics: context.metrics,
      index,
      topic: config.topic,
      group: config.group,
      concurrency: config.indexer.concurrency,
    }),
  ];
}

/**
 * bookstore — seed 002 on Herald: books in SQLite or PostgreSQL, a search page, and every search an event that two
 * processor groups turn into trends and per-user recommendations, queryable through views. `bookstore.role` picks
 * what one process runs (`web`: API, page and views; `trends`, `recommendations`: one processor group each).
 */
import { join } from 'node:path';
import {
  type Component,
  creates,
  createsLike,
  type ServiceContext,
  type ServiceDefinition,
  type TopicDeclaration,
  withDatabaseSpans,
} from '#herald';
import type { Producer } from '#herald/broker';
import { groupTable, Processor, type Topology, View } from '#herald/processor';
import { registerBookstoreApi } from './api.ts';
import { type BookstoreConfig, bookstoreConfigSchema } from './config.ts';
import { searchTopics } from './events.ts';
import { bookstorePage } from './page.ts';
import { byUserGroup, recommendationsGroup, scoresCodec } from './recommendations.ts';
import { PostgresBookRepository } from './store/postgres.ts';
import { withSearchCache } from './store/cached.ts';
import type { BookRepository } from './store/repository.ts';
import { SqliteBookRepository } from './store/sqlite.ts';
import { trendCodec, trendsGroup } from './trends.ts';
import { recommendationsReader, trendsReader } from './views.ts';

export type { BookstoreConfig } from './config.ts';

function topics(config: BookstoreConfig): TopicDeclaration[] {
  const { searches, byUser } = searchTopics(config.topic);
  const partitions = config.partitions;
  return [
    creates('bookstore', 'output', { name: searches, partitions }),
    creates('bookstore', 'input', { name: byUser, partitions }),
    // The views of a web process read these tables even when their processors run elsewhere.
    createsLike('bookstore', 'changelog', searches, { name: groupTable(config.trends.group), compacted: true }),
    createsLike('bookstore', 'changelog', byUser, { name: groupTable(config.recommendations.group), compacted: true }),
  ];
}

export const bookstoreService: ServiceDefinition<BookstoreConfig> = {
  name: 'bookstore',
  summary: 'bookstore: /bookstore/ page, GET|POST /api/books, GET /trends, GET /recommendations',
  configSchema: bookstoreConfigSchema,
  page: { title: 'Bookstore: search books, trends, recommendations', path: '/bookstore/' },
  topology: topics,
  create(context) {
    const { config } = context;
    const { searches, byUser } = searchTopics(config.topic);
    const runs = (role: BookstoreConfig['role']) => config.role === 'all' || config.role === role;
    const components: Component[] = [];
    if (runs('trends')) components.push(processor(context, trendsGroup(config.trends.group, searches)));
    if (runs('recommendations')) {
      components.push(processor(context, byUserGroup(config.recommendations.group, searches, byUser)));
      components.push(processor(context, recommendationsGroup(config.recommendations.group, byUser)));
    }
    if (runs('web')) components.push(...web(context));
    return components;
  },
};

function processor<V, O, L>(context: ServiceContext<BookstoreConfig>, topology: Topology<V, O, L>): Processor<V, O, L> {
  const { broker, logger, metrics, processors, platform } = context;
  return new Processor(topology, {
    broker,
    logger: logger.child({ group: topology.group }),
    metrics,
    registry: processors,
    dataDir: join(platform.dataDir, 'bookstore'),
  });
}

/** The books database, the views, the search-event producer, the routes and the page. */
function web(context: ServiceContext<BookstoreConfig>): Component[] {
  const { broker, config, app, logger, metrics, processors, platform } = context;
  const database = withDatabaseSpans<BookRepository>(
    config.database.url === ''
      ? new SqliteBookRepository({ file: join(platform.dataDir, 'bookstore', 'books.db') })
      : new PostgresBookRepository({ url: config.database.url, poolSize: config.database.poolSize }),
    config.database.url === '' ? 'sqlite' : 'postgresql',
    'books',
    ['search', 'create'],
  );
  const repository = withSearchCache(database, config.searchCache);
  const viewOptions = { broker, logger, registry: processors, metrics };
  const trends = new View({ ...viewOptions, table: groupTable(config.trends.group), codec: trendCodec });
  const recommendations = new View({
    ...viewOptions,
    table: groupTable(config.recommendations.group),
    codec: scoresCodec,
  });
  let producer: Producer | undefined;
  registerBookstoreApi(app, {
    repository,
    pageSize: config.pageSize,
    searchTopic: config.topic,
    producer: () => producer,
    trends: trendsReader(trends),
    recommendations: recommendationsReader(recommendations),
    registry: metrics.registry,
    logger,
  });
  const page = bookstorePage();
  app.get('/bookstore', async (_request, reply) =>
    reply.redirect('/bookstore/'),
  );
  app.get('/bookstore/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(page),
  );
  return [
    { name: 'bookstore-database', start: () => repository.start(), stop: () => repository.stop() },
    trends,
    recommendations,
    {
      name: 'bookstore-search-events',
      start: async () => {
        producer = broker.producer();
      },
      stop: async () => {
        const closing = producer;
        producer = undefined;
        await closing?.close();
      },
    },
  ];
}

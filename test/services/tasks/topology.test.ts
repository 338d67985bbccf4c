import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { tasksService } from '../../../services/tasks/index.ts';
import { indexerRouter } from '../../../services/tasks/indexer.ts';
import type { TaskIndex } from '../../../services/tasks/search/task-index.ts';
import type { Broker } from '../../../src/broker/port.ts';
import { deadLetterTopicName } from '../../../src/runtime/index.ts';
import { topologyProblems } from '../../../src/topology/validate.ts';
import type { TasksConfig } from '../../../services/tasks/index.ts';

describe('tasks topology', () => {
  it('declares the topic it creates and the indexer dead-letter topic, with no conflicts', () => {
    const config = { topic: 'tasks-t', partitions: 4 } as TasksConfig;
    const service = tasksService.topology?.(config) ?? [];
    assert.deepEqual(
      service.map(({ name, role, spec }) => ({ name, role, partitions: spec?.partitions })),
      [{ name: 'tasks-t', role: 'output', partitions: 4 }],
    );
    const router = indexerRouter({
      broker: {} as Broker,
      logger: pino({ level: 'silent' }),
      index: {} as TaskIndex,
      topic: 'tasks-t',
      group: 'tasks-t-indexer',
      concurrency: 1,
    });
    const declared = [...service, ...router.topology()];
    const dlq = declared.find((d) => d.role === 'dead-letter');
    assert.equal(dlq?.name, deadLetterTopicName('tasks-t', 'tasks-t-indexer'));
    assert.ok(dlq?.spec, 'the dead-letter topic is created, not assumed');
    assert.ok(declared.some((d) => d.name === 'tasks-t' && d.role === 'input' && !d.spec));
    assert.deepEqual(topologyProblems(declared), []);
  });
});

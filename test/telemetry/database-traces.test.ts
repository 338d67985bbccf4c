/**
 * Database calls and the outbox in traces: a task created over HTTP is one trace from the request through the
 * database write, the outbox relay's send (however much later it runs) and the indexer's search-index write.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SpanView, TraceView } from '../../src/telemetry/recent-traces.ts';
import { request } from '../support/boot.ts';
import { eventually } from '../services/notify/helpers.ts';
import { bootTasks } from '../services/tasks/helpers.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

it('a task: request → database insert → outbox relay send → indexer → search index write, one trace', async (t) => {
  const herald = await bootTasks(t, { 'telemetry.traces.recent': '50' });
  const created = await fetch(`${herald.url}/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-b7ad6b7169203331-01` },
    body: JSON.stringify({ description: 'water the plants', priority: 'low' }),
  });
  assert.equal(created.status, 201);
  const spans = await eventually(async () => {
    const { status, body } = await request(`${herald.url}/admin/traces?trace_id=${TRACE}`);
    const found = status === 200 ? (body as TraceView).spans : [];
    return found.some((s) => s.name === 'put tasks-search') && found;
  });
  const byName = (name: string) => {
    const found = spans.filter((s) => s.name === name);
    assert.equal(found.length, 1, `${name} in ${spans.map((s) => s.name).join(', ')}`);
    return found[0];
  };
  const parentOf = (span: SpanView) => spans.find((s) => s.spanId === span.parentSpanId);
  const server = byName('POST /tasks');
  const insert = byName('create tasks');
  assert.equal(insert.kind, 'CLIENT');
  assert.equal(insert.attributes['db.system.name'], 'sqlite');
  assert.equal(parentOf(insert), server);
  const relayed = byName(`send ${herald.topic}`);
  assert.equal(relayed.kind, 'PRODUCER');
  assert.equal(parentOf(relayed)?.spanId, insert.spanId, "the outbox row carried the writing request's context");
  assert.equal(typeof relayed.attributes['messaging.message.id'], 'string');
  const indexed = byName(`process ${herald.topic}`);
  assert.equal(parentOf(indexed)?.spanId, relayed.spanId);
  assert.equal(parentOf(byName('put tasks-search'))?.spanId, indexed.spanId);
});

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/log/logger.ts';
import { withSpan } from '../../src/telemetry/with-span.ts';

const config = { level: 'info', rotate: { size: '10m', frequency: 'daily', keep: 1 } } as unknown as Parameters<
  typeof createLogger
>[0];

describe('log lines inside a span', () => {
  before(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  after(() => context.disable());

  it('carry trace_id and span_id of the active span; lines outside a span carry neither', async () => {
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    const { logger } = await createLogger(config, out);
    const tracerProvider = new BasicTracerProvider();
    const ids = await withSpan('work', {}, (span) => {
      logger.info('inside');
      return span.spanContext();
    }, { tracerProvider });
    logger.info('outside');
    await new Promise((resolve) => setImmediate(resolve));
    const inside = lines.find((l) => l.msg === 'inside');
    const outside = lines.find((l) => l.msg === 'outside');
    assert.equal(inside?.trace_id, ids.traceId);
    assert.equal(inside?.span_id, ids.spanId);
    assert.equal(outside?.trace_id, undefined);
    assert.equal(outside?.span_id, undefined);
  });
});

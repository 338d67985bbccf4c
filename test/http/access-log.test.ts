import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessLog } from '../../src/http/access-log.ts';
import { startTestHerald } from '../../src/testing/herald.ts';

type Line = Record<string, unknown>;

/** A log stream for a test Herald, and every line written to it, parsed. */
function logLines(): { stream: PassThrough; lines: Line[] } {
  const stream = new PassThrough();
  const lines: Line[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Line);
  });
  return { stream, lines };
}

/** Herald's log lines about HTTP requests (per request, and summaries), parsed. */
async function requestLines(config: Record<string, string>): Promise<Line[]> {
  const { stream, lines } = logLines();
  const herald = await startTestHerald({ config: { 'log.format': 'json', ...config }, logStream: stream });
  try {
    assert.equal((await fetch(`${herald.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${herald.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${herald.url}/no-such-page`)).status, 404);
  } finally {
    await herald.stop();
  }
  return lines.filter((l) => l.req !== undefined || l.msg === 'requests');
}

const perRequest = (lines: Line[]) =>
  lines.filter((l) => l.req !== undefined).map((l) => [l.msg, (l.req as { url: string }).url, (l.res as { statusCode: number } | undefined)?.statusCode]);

describe('HTTP request log', () => {
  it('by default writes a line for a refused or failed request only, and per-route counts when it stops', async () => {
    const lines = await requestLines({ 'log.level': 'info' });
    assert.deepEqual(perRequest(lines), [['request completed', '/no-such-page', 404]]);
    const refused = lines.find((l) => l.req !== undefined)!;
    assert.ok(typeof refused.responseTime === 'number' && typeof refused.correlationId === 'string');
    const summary = lines.find((l) => l.msg === 'requests') as { routes: Record<string, Record<string, unknown>> };
    assert.ok(summary, 'a requests line');
    const healthz = summary.routes['GET /healthz'];
    assert.equal(healthz.count, 2);
    assert.equal(healthz['2xx'], 2);
    assert.equal(healthz['4xx'], undefined);
    assert.match(String(healthz.p99Ms), /^[≤>]\d/);
    assert.equal(typeof healthz.meanMs, 'number');
    assert.equal(summary.routes['GET unmatched']['4xx'], 1);
  });

  it('writes a line for every request with accessLog=every, and for slow ones in summary', async () => {
    const every = await requestLines({ 'log.level': 'info', 'http.accessLog': 'every' });
    assert.deepEqual(perRequest(every), [
      ['request completed', '/healthz', 200],
      ['request completed', '/healthz', 200],
      ['request completed', '/no-such-page', 404],
    ]);
    assert.ok(!every.some((l) => l.msg === 'requests'));
    const slow = await requestLines({ 'log.level': 'info', 'http.slowRequestMs': '0' });
    assert.equal(perRequest(slow).length, 3);
  });

  it('writes every request, incoming and completed, at debug; nothing with accessLog=off', async () => {
    const debug = await requestLines({ 'log.level': 'debug' });
    assert.deepEqual(
      perRequest(debug).map(([msg]) => msg),
      ['incoming request', 'request completed', 'incoming request', 'request completed', 'incoming request', 'request completed'],
    );
    assert.deepEqual(await requestLines({ 'log.level': 'debug', 'http.accessLog': 'off' }), []);
  });

  it('with accessLog=off still logs a request that failed unexpectedly, at error, with its correlation id', async () => {
    const { stream, lines } = logLines();
    const failing = {
      name: 'failing',
      summary: 'a route that throws',
      create: ({ app }: { app: FastifyInstance }) => {
        app.get('/boom', async () => {
          throw new Error('the database went away');
        });
        return [];
      },
    };
    const herald = await startTestHerald({
      config: { 'log.format': 'json', 'log.level': 'info', 'http.accessLog': 'off' },
      logStream: stream,
      services: [failing],
    });
    let correlation: string | null;
    try {
      const answer = await fetch(`${herald.url}/boom`);
      assert.equal(answer.status, 500);
      correlation = answer.headers.get('x-request-id');
      assert.equal((await fetch(`${herald.url}/healthz`)).status, 200);
    } finally {
      await herald.stop();
    }
    assert.deepEqual(perRequest(lines.filter((l) => l.msg === 'request completed')), [], 'no request lines');
    const failed = lines.filter((l) => l.level === 50);
    assert.equal(failed.length, 1, JSON.stringify(lines));
    assert.equal(failed[0]!.correlationId, correlation);
    assert.match(JSON.stringify(failed[0]), /the database went away/);
  });

  it('summarises every interval: counts by status class, mean, p99 as a bucket bound and the longest', async () => {
    const written: { object: Line; msg: string }[] = [];
    const logger = { info: (object: Line, msg: string) => written.push({ object, msg }), debug() {}, error() {} };
    const log = new AccessLog({ summaryEveryMs: 20 });
    log.start(logger as unknown as FastifyBaseLogger);
    const answer = (method: string, url: string | undefined, status: number, ms: number) =>
      log.requestCompleted(
        null,
        { method, routeOptions: { url }, log: logger } as unknown as FastifyRequest,
        { statusCode: status, elapsedTime: ms, log: logger } as unknown as FastifyReply,
      );
    for (let i = 0; i < 98; i++) answer('POST', '/api/deposit', 200, 1.5);
    answer('POST', '/api/deposit', 503, 40);
    answer('POST', '/api/deposit', 200, 1_500);
    answer('GET', undefined, 404, 0.2);
    await sleep(60);
    log.stop();
    const lines = written.filter((w) => w.msg === 'request completed').map((w) => (w.object.res as { statusCode: number }).statusCode);
    assert.deepEqual(lines, [503, 200, 404], 'the failed, the slow and the refused');
    const summaries = written.filter((w) => w.msg === 'requests');
    assert.equal(summaries.length, 1, 'one summary: later intervals had nothing to say');
    const routes = summaries[0].object.routes as Record<string, Record<string, unknown>>;
    assert.deepEqual(routes['POST /api/deposit'], {
      count: 100,
      '2xx': 99,
      '5xx': 1,
      meanMs: Math.round(((98 * 1.5 + 40 + 1_500) / 100) * 100) / 100,
      p99Ms: '≤50',
      maxMs: 1_500,
    });
    assert.deepEqual(routes['GET unmatched'], { count: 1, '4xx': 1, meanMs: 0.2, p99Ms: '≤0.5', maxMs: 0.2 });
  });
});

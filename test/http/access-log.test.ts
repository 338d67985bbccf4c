import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startTestHerald } from '../../src/testing/herald.ts';

/** Herald's log lines about HTTP requests, parsed. */
async function requestLines(level: string): Promise<Record<string, unknown>[]> {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const herald = await startTestHerald({ config: { 'log.level': level, 'log.format': 'json' }, logStream: stream });
  try {
    assert.equal((await fetch(`${herald.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${herald.url}/no-such-page`)).status, 404);
  } finally {
    await herald.stop();
  }
  return lines.filter((l) => l.req !== undefined);
}

describe('HTTP request log', () => {
  it('writes one line a request at info, when it is answered, with method, path, status and time', async () => {
    const lines = await requestLines('info');
    assert.deepEqual(
      lines.map((l) => [l.msg, (l.req as { method: string; url: string }).url, (l.res as { statusCode: number }).statusCode]),
      [
        ['request completed', '/healthz', 200],
        ['request completed', '/no-such-page', 404],
      ],
    );
    assert.ok(lines.every((l) => typeof l.responseTime === 'number' && typeof l.correlationId === 'string'));
  });

  it('adds the incoming line at debug', async () => {
    const lines = await requestLines('debug');
    assert.deepEqual(lines.map((l) => l.msg), ['incoming request', 'request completed', 'incoming request', 'request completed']);
  });
});

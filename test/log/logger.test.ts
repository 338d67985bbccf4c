import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/load.ts';
import { platformSchema } from '../../src/config/schema.ts';
import { createLogger, isoTime } from '../../src/log/logger.ts';
import { scratchDir } from '../support/scratch-dir.ts';

function logConfig(flags: Record<string, string>) {
  return loadConfig(platformSchema, { flags }).log;
}

describe('logger', () => {
  it("stamps lines with the time in ISO 8601 as pino's isoTime does, the string changing with the millisecond", async () => {
    const before = Date.now();
    const stamp = isoTime();
    const match = /^,"time":"(.+)"$/.exec(stamp);
    assert.ok(match, stamp);
    const at = Date.parse(match[1]);
    assert.ok(at >= before && at <= Date.now(), stamp);
    assert.equal(new Date(at).toISOString(), match[1]);
    await sleep(3);
    assert.ok(Date.parse(/"time":"(.+)"/.exec(isoTime())![1]) > at);
  });

  it("writes the process's stdout in order, a turn's lines together, and what is waiting when the process exits", () => {
    // The child's stdout is a pipe: each write arrives as its own chunk here, as long as the reader keeps up.
    const script = `
      import { createLogger } from ${JSON.stringify(new URL('../../src/log/logger.ts', import.meta.url).href)};
      const { logger } = await createLogger({ level: 'info', format: 'json', file: '', rotate: {} });
      for (let i = 0; i < 5; i++) logger.info({ i }, 'first turn');
      setTimeout(() => {
        for (let i = 0; i < 3; i++) logger.info({ i }, 'last turn');
        process.exit(3);
      }, 50);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 3, child.stderr);
    const lines = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; i: number });
    assert.deepEqual(
      lines.map((l) => `${l.msg} ${l.i}`),
      ['first turn 0', 'first turn 1', 'first turn 2', 'first turn 3', 'first turn 4', 'last turn 0', 'last turn 1', 'last turn 2'],
    );
  });

  it('writes JSON lines to stdout with child bindings', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
    const { logger, close } = await createLogger(logConfig({}), out);
    logger.child({ correlationId: 'abc' }).info({ n: 1 }, 'hello');
    logger.debug('hidden at info');
    await close();
    await sleep(10);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.msg, 'hello');
    assert.equal(line.correlationId, 'abc');
    assert.equal(line.n, 1);
    assert.equal(line.level, 30);
  });

  it('writes readable lines with log.format pretty, and on a terminal with auto; JSON when piped', async () => {
    const render = async (flags: Record<string, string>, tty: boolean) => {
      const out = new PassThrough() as PassThrough & { isTTY?: boolean };
      if (tty) out.isTTY = true;
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const { logger, close } = await createLogger(logConfig(flags), out);
      logger.child({ correlationId: 'abc' }).warn({ err: Object.assign(new Error('gone'), { code: 'E_X' }) }, 'hi there');
      logger.error({ err: new Error('broken') }, 'failed');
      logger.info({ req: { method: 'GET', url: '/healthz', remotePort: 1 } }, 'incoming request');
      logger.info({ res: { statusCode: 200 }, responseTime: 6.25 }, 'request completed');
      logger.warn({ error: { code: 'HERALD_TIMEOUT', message: 'too slow' } }, 'will retry');
      await close();
      await sleep(10);
      return text;
    };
    const pretty = await render({ 'log.format': 'pretty' }, false);
    assert.match(pretty, /^\d\d:\d\d:\d\d\.\d{3} WARN {2}hi there correlationId=abc err="E_X: gone"\n/);
    assert.doesNotMatch(pretty.split('\n')[0], /at /, 'a warning carries no stack');
    assert.match(pretty, /ERROR failed err=broken\n {4}at /, 'an error does');
    assert.ok(!pretty.includes('\u001b['), 'no colours off a terminal');
    assert.match(pretty, /INFO {2}incoming request GET \/healthz\n/);
    assert.match(pretty, /INFO {2}request completed 200 6\.3 ms\n/);
    assert.match(pretty, /WARN {2}will retry error="HERALD_TIMEOUT: too slow"\n/);
    assert.ok((await render({}, true)).includes('\u001b[33mWARN '), 'auto on a terminal: pretty, coloured');
    assert.equal(JSON.parse((await render({}, false)).split('\n')[0]).msg, 'hi there', 'auto when piped: JSON');
    assert.equal(JSON.parse((await render({ 'log.format': 'json' }, true)).split('\n')[0]).msg, 'hi there');
  });

  it('rotates the file by size and keeps a bounded number of files', async () => {
    const dir = scratchDir('herald-log-');
    const file = join(dir, 'herald.log');
    const config = logConfig({
      'log.file': file,
      'log.rotate.size': '1k',
      'log.rotate.keep': '2',
      'log.level': 'info',
    });
    const { logger, close } = await createLogger(config, new PassThrough());
    const filler = 'x'.repeat(300);
    for (let i = 0; i < 40; i++) {
      logger.info({ i, filler }, 'line');
      // pino-roll checks the size after each write is flushed; give it a turn.
      await sleep(2);
    }
    await close();
    const files = readdirSync(dir).filter((name) => name.startsWith('herald'));
    assert.ok(files.length >= 2, `rotation produced files: ${files.join(', ')}`);
    assert.ok(files.length <= 3, `at most keep (2) rotated files plus the active one, got ${files.join(', ')}`);
    const numbers = files.map((name) => Number(name.match(/\.(\d+)\.log$/)?.[1])).sort((a, b) => a - b);
    assert.ok(numbers[0] > 1, `the oldest files were removed: ${files.join(', ')}`);
    // The newest file that holds anything has the last line (under load the roll may open a new, empty file last).
    const contents = numbers.map((n) => readFileSync(join(dir, files.find((name) => name.endsWith(`.${n}.log`))!), 'utf8'));
    assert.match(contents.filter((text) => text.length > 0).at(-1) ?? '', /"i":39/);
  });

  it('rotates the file by time', async () => {
    const dir = scratchDir('herald-log-');
    const config = logConfig({
      'log.file': join(dir, 'timed.log'),
      'log.rotate.frequency': '100',
      'log.rotate.keep': '5',
    });
    const { logger, close } = await createLogger(config, new PassThrough());
    for (let i = 0; i < 4; i++) {
      logger.info({ i }, 'tick');
      await sleep(120);
    }
    await close();
    assert.ok(readdirSync(dir).length >= 2, `files: ${readdirSync(dir).join(', ')}`);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/load.ts';
import { platformSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log/logger.ts';

function logConfig(flags: Record<string, string>) {
  return loadConfig(platformSchema, { flags }).log;
}

describe('logger', () => {
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

  it('rotates the file by size and keeps a bounded number of files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-log-'));
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
    const dir = mkdtempSync(join(tmpdir(), 'herald-log-'));
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

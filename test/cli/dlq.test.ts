import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHeraldError } from '../../src/errors.ts';
import { parseTime } from '../../src/admin/times.ts';
import { cli } from '../support/cli.ts';

describe('herald dlq (usage)', () => {
  it('reports usage mistakes with exit 2 before connecting', async () => {
    for (const args of [
      ['dlq'],
      ['dlq', 'explode'],
      ['dlq', 'replay'],
      ['dlq', 'replay', 't.g.dlq', '--rate', '0'],
      ['dlq', 'list', 't.g.dlq', '--since', 'yesterday-ish'],
      ['dlq', 'list', 't.g.dlq', '--limit', '-1'],
      ['dlq', 'list', '--broker', 'http://nope'],
    ]) {
      const result = await cli([...args, '--server', 'http://127.0.0.1:9']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    }
  });

  it('an unreachable server is exit 1', async () => {
    const result = await cli(['dlq', 'list', '--server', 'http://127.0.0.1:9']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /HERALD_BROKER_UNAVAILABLE/);
  });

  it('times are epoch milliseconds or ISO 8601', () => {
    assert.equal(parseTime('1700000000000', 'since'), 1_700_000_000_000);
    assert.equal(parseTime(5, 'since'), 5);
    assert.equal(parseTime('2024-01-02T03:04:05Z', 'since'), Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(parseTime(undefined, 'since'), undefined);
    assert.throws(
      () => parseTime('soon', 'since'),
      (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'),
    );
  });
});

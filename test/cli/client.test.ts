import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { partitionForKey } from '../../src/broker/partitioner.ts';
import { bootHerald } from '../support/boot.ts';
import { cli } from '../support/cli.ts';

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('herald topics | produce | consume | groups (against a running server)', () => {
  it('manages topics and moves records end to end', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('cli');
    const created = await cli(['topics', 'create', topic, '--partitions', '3', ...server]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.lines[0].partitions.length, 3);
    const listed = await cli(['topics', 'list', ...server]);
    assert.ok(listed.lines.some((l: { name: string }) => l.name === topic));

    const produced = await cli(['produce', topic, 'hello', '--key', 'k1', '--header', 'h=v', ...server]);
    assert.equal(produced.code, 0, produced.stderr);
    const partition = partitionForKey(Buffer.from('k1'), 3);
    assert.deepEqual(produced.lines, [{ partition, offset: 0 }]);
    await cli(['produce', topic, 'second', '--partition', String(partition), ...server]);

    const consumed = await cli(['consume', topic, '--partition', String(partition), ...server]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(
      consumed.lines.map((r: { key: string; value: string; headers: object }) => [r.key, r.value, r.headers]),
      [
        ['k1', 'hello', { h: 'v' }],
        [null, 'second', {}],
      ],
    );
    const limited = await cli(['consume', topic, '--limit', '1', ...server]);
    assert.equal(limited.lines.length, 1);

    const described = await cli(['topics', 'describe', topic, ...server]);
    assert.equal(described.lines[0].partitions[partition].latest, 2);
    const groups = await cli(['groups', 'list', ...server]);
    assert.equal(groups.code, 0);
    assert.equal((await cli(['topics', 'delete', topic, ...server])).code, 0);
    const missing = await cli(['topics', 'describe', topic, ...server]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /HERALD_TOPIC_NOT_FOUND/);
  });

  it('reports usage mistakes with exit 2 and an unreachable server with exit 1', async () => {
    for (const args of [
      ['topics'],
      ['topics', 'create'],
      ['topics', 'explode', 'x'],
      ['produce'],
      ['consume'],
      ['groups', 'describe'],
      ['groups', 'x'],
    ]) {
      const result = await cli([...args, '--server', 'http://127.0.0.1:9']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^herald \w+: .+\nusage: herald/);
    }
    const badInt = await cli(['topics', 'create', 'x', '--partitions', 'many']);
    assert.equal(badInt.code, 2);
    assert.match(badInt.stderr, /--partitions must be an integer >= 1, not 'many'/);
    const badHeader = await cli(['produce', 't', 'v', '--header', 'novalue']);
    assert.equal(badHeader.code, 2);
    const badBroker = await cli(['topics', 'list', '--broker', 'embedded']);
    assert.equal(badBroker.code, 2);
    const down = await cli(['topics', 'list', '--server', 'http://127.0.0.1:9']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /HERALD_BROKER_UNAVAILABLE: no Herald server answers at http:\/\/127\.0\.0\.1:9/);
  });
});

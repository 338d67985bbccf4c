import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { partitionForKey } from '../../src/broker/partitioner.ts';
import { bootHerald } from '../support/boot.ts';
import { cli } from '../support/cli.ts';

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('herald consume and produce, as kcat users expect', () => {
  it('consumes every partition merged by time, from beginning, end, -N or @time, with a total limit', async (t) => {
    const running = await bootHerald(t);
    const server = ['--server', running.url];
    const topic = name('merged');
    await running.broker.admin.createTopic({ name: topic, partitions: 3 });
    const producer = running.broker.producer();
    t.after(() => producer.close());
    await producer.send(
      Array.from({ length: 9 }, (_, n) => ({ topic, partition: n % 3, value: Buffer.from(`v${n}`), timestamp: 5_000 + n })),
    );
    const values = async (...args: string[]) => {
      const result = await cli(['consume', topic, '--format', '%s\\n', ...args, ...server]);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trim().split('\n').filter(Boolean);
    };
    assert.deepEqual(await values(), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8']);
    assert.deepEqual(await values('--limit', '4'), ['v0', 'v1', 'v2', 'v3'], 'the limit is in total');
    assert.deepEqual(await values('--offset', 'end'), []);
    assert.deepEqual(await values('--offset', '-1'), ['v6', 'v7', 'v8']);
    assert.deepEqual(await values('-o', '-1', '-p', '0'), ['v6']);
    assert.deepEqual(await values('-o', '@5007'), ['v7', 'v8']);
    assert.deepEqual(await values('--offset', '1', '--partition', '2'), ['v5', 'v8']);
    const bad = await cli(['consume', topic, '--offset', 'later', ...server]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--offset must be beginning, end, an offset, -N/);
  });

  it('keeps binary values intact from stdin to stdout, and prints values as they are', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('binary');
    await cli(['topics', 'create', topic, '--partitions', '1', ...server]);
    const sent = await cli(['produce', topic, ...server], {}, [], { stdin: Buffer.from([0xff, 0x00, 0x0a, 0x22, 0x0a]) });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.lines.length, 2, 'two records: \\xff\\x00 and a double quote');
    const raw = await cli(['consume', topic, '--format', '%s', ...server]);
    assert.deepEqual([...raw.bytes], [0xff, 0x00, 0x22], 'bytes as they are, not JSON-escaped');
    const hex = await cli(['consume', topic, '--format', '%o %s\\n', '--value-encoding', 'hex', ...server]);
    assert.equal(hex.stdout, '0 ff00\n1 22\n');
    const json = await cli(['consume', topic, '--value-encoding', 'base64', ...server]);
    assert.deepEqual(
      json.lines.map((l: { value: string; encoding: string }) => [l.value, l.encoding]),
      [
        ['/wA=', 'base64'],
        ['Ig==', 'base64'],
      ],
    );
    const encoded = await cli(['produce', topic, 'AAEC', '--value-encoding', 'base64', ...server]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const back = await cli(['consume', topic, '--offset', '2', '--format', '%s', '--value-encoding', 'hex', ...server]);
    assert.equal(back.stdout, '000102');
    const invalid = await cli(['produce', topic, 'not base64!', '--value-encoding', 'base64', ...server]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /value is not valid base64/);
  });

  it('splits keys from values with -K, and takes any record delimiter', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('keyed');
    await cli(['topics', 'create', topic, '--partitions', '4', ...server]);
    const sent = await cli(['produce', topic, '-K', ':', '-D', ';', ...server], {}, [], {
      stdin: 'customer-7:{"total":3};no key here;customer-8:a:b;',
    });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.lines[0].partition, partitionForKey(Buffer.from('customer-7'), 4));
    const got = await cli(['consume', topic, '--format', '%k=%s\\n', ...server]);
    assert.deepEqual(got.stdout.trim().split('\n').sort(), ['=no key here', 'customer-7={"total":3}', 'customer-8=a:b']);
    const both = await cli(['produce', topic, 'v', '--key', 'k', '-K', ':', ...server]);
    assert.equal(both.code, 2);
  });

  it('prints readable lines on a terminal and JSON when piped', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('readable');
    await cli(['topics', 'create', topic, '--partitions', '1', ...server]);
    await cli(['produce', topic, 'line "one"', '--key', 'k', ...server]);
    await cli(['produce', topic, 'two', ...server]);
    const tty = await cli(['consume', topic, ...server], {}, [], { tty: true });
    assert.equal(tty.stdout, '0/0 k: line "one"\n0/1 two\n');
    const piped = await cli(['consume', topic, ...server]);
    assert.equal(piped.lines[0].value, 'line "one"');
    const unknown = await cli(['consume', topic, '--format', '%q', ...server]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown token %q/);
  });

  it('consumes as a group member: the group resumes where the last run stopped', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('grouped');
    const group = name('readers');
    await cli(['topics', 'create', topic, '--partitions', '2', ...server]);
    await cli(['produce', topic, ...server], {}, [], { stdin: 'a\nb\nc\nd\ne\n' });
    const first = await cli(['consume', topic, '--group', group, '--limit', '2', '--format', '%s\\n', ...server]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').length, 2);
    const rest = await cli(['consume', topic, '-G', group, '--format', '%s\\n', ...server]);
    assert.equal(rest.code, 0, rest.stderr);
    const all = [...first.stdout.trim().split('\n'), ...rest.stdout.trim().split('\n')].sort();
    assert.deepEqual(all, ['a', 'b', 'c', 'd', 'e'], 'every record once over the two runs');
    const described = await cli(['groups', 'describe', group, ...server]);
    assert.equal(described.lines[0].offsets.reduce((n: number, o: { lag: number }) => n + o.lag, 0), 0);
    const mixed = await cli(['consume', topic, '--group', group, '--offset', 'end', ...server]);
    assert.equal(mixed.code, 2);
  });
});

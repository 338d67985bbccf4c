import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { deadLetterTopicName } from '../../src/runtime/names.ts';
import { DLQ_HEADERS } from '../../src/runtime/dlq/envelope.ts';
import { bootHerald } from '../support/boot.ts';
import { cli } from '../support/cli.ts';
import { finished, NODE, startHerald } from '../support/herald-process.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('herald CLI output', () => {
  it('lists as a table on a terminal, as JSON lines when piped or with --json', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('tabled');
    await cli(['topics', 'create', topic, '--partitions', '2', ...server]);
    await cli(['produce', topic, 'x', '--partition', '1', ...server]);
    const table = await cli(['topics', 'list', ...server], {}, [], { tty: true });
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+PARTITIONS\s+RECORDS\s+COMPACTED$/);
    assert.ok(lines.some((l) => new RegExp(`^${topic}\\s+2\\s+1\\s+no$`).test(l)), table.stdout);
    const forced = await cli(['topics', 'list', '--json', ...server], {}, [], { tty: true });
    assert.ok(forced.lines.some((l: { name: string }) => l.name === topic));
    const piped = await cli(['topics', 'list', ...server]);
    assert.ok(piped.lines.some((l: { name: string }) => l.name === topic));
    const described = await cli(['topics', 'describe', topic, ...server], {}, [], { tty: true });
    assert.match(described.stdout, new RegExp(`^${topic}: 2 partitions, 1 records\nPARTITION  EARLIEST  LATEST\n`));
    const groups = await cli(['groups', 'list', ...server], {}, [], { tty: true });
    assert.match(groups.stdout, /^GROUP\s+MEMBERS\s+LAG/);
  });

  it('shows metadata like kcat -L', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const topic = name('meta');
    await cli(['topics', 'create', topic, '--partitions', '2', ...server]);
    const text = await cli(['metadata', topic, ...server], {}, [], { tty: true });
    assert.equal(
      text.stdout,
      `Metadata from the embedded broker:\n 1 topics:\n  topic "${topic}" with 2 partitions, 0 records:\n` +
        '    partition 0, earliest 0, latest 0\n    partition 1, earliest 0, latest 0\n',
    );
    const json = await cli(['metadata', ...server]);
    assert.equal(json.lines[0].broker, 'embedded');
    assert.ok(json.lines[0].topics.some((t: { name: string }) => t.name === topic));
  });

  it('names unknown subcommands, explains field errors and rejects a partition count below one', async (t) => {
    const { url } = await bootHerald(t);
    const server = ['--server', url];
    const ls = await cli(['topics', 'ls', ...server]);
    assert.equal(ls.code, 2);
    assert.match(ls.stderr, /^herald topics: unknown subcommand 'ls' \(list, describe, create, delete\)\n/);
    const zero = await cli(['topics', 'create', name('z'), '--partitions', '0', ...server]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /^herald topics: --partitions must be an integer >= 1, not '0'\n/);
    const many = await cli(['topics', 'create', name('z'), '--partitions', '20000', ...server]);
    assert.equal(many.code, 1);
    assert.equal(many.stderr, 'herald topics: HERALD_VALIDATION_FAILED: partitions must be <= 10000\n');
    for (const [command, sub] of [['groups', 'ls'], ['dlq', 'show']]) {
      const result = await cli([command, sub, ...server]);
      assert.match(result.stderr, new RegExp(`unknown subcommand '${sub}'`));
    }
  });

  it('says how to continue a dead-letter list and how to replay again', async (t) => {
    const running = await bootHerald(t);
    const server = ['--server', running.url];
    const dlq = deadLetterTopicName('origin', 'g');
    await running.broker.admin.createTopic({ name: 'origin', partitions: 1 });
    await running.broker.admin.createTopic({ name: dlq, partitions: 1 });
    const producer = running.broker.producer();
    t.after(() => producer.close());
    const headers = (n: number) => ({
      [DLQ_HEADERS.topic]: 'origin',
      [DLQ_HEADERS.partition]: '0',
      [DLQ_HEADERS.offset]: String(n),
      [DLQ_HEADERS.errorCode]: 'HERALD_DESTINATION_FAILED',
      [DLQ_HEADERS.errorMessage]: 'refused',
    });
    await producer.send([0, 1, 2].map((n) => ({ topic: dlq, key: Buffer.from('k'), value: Buffer.from(`v${n}`), headers: headers(n) })));
    const page = await cli(['dlq', 'list', dlq, '--limit', '2', ...server]);
    assert.equal(page.lines.length, 2);
    assert.match(page.stderr, /more dead letters: add --cursor 0:2\n$/);
    const rest = await cli(['dlq', 'list', dlq, '--cursor', '0:2', ...server]);
    assert.deepEqual(
      rest.lines.map((l: { value: string }) => l.value),
      ['v2'],
    );
    const table = await cli(['dlq', 'list', dlq, ...server], {}, [], { tty: true });
    assert.match(table.stdout, /^AT\s+DEAD-LETTERED\s+ORIGIN\s+KEY\s+ERROR\s+ATTEMPTS\s+REPLAYED\s+VALUE\n0\/0 /);
    assert.equal((await cli(['dlq', 'replay', dlq, ...server])).lines[0].replayed, 3);
    const second = await cli(['dlq', 'replay', dlq, ...server]);
    assert.deepEqual([second.lines[0].replayed, second.lines[0].skipped], [0, 3]);
    assert.match(second.stderr, /3 dead letter\(s\) were replayed before and skipped: add --again/);
    assert.equal((await cli(['dlq', 'replay', dlq, '--again', '--key', 'k', ...server])).lines[0].replayed, 3);
  });

  it('ends quietly when the reader of its output goes away (| head)', async (t) => {
    const dataDir = scratchDir('herald-epipe-');
    const herald = await startHerald(t, 'bin/herald.ts', ['--data-dir', dataDir]);
    const topic = name('piped');
    const created = await cli(['topics', 'create', topic, '--partitions', '1', '--server', herald.url]);
    assert.equal(created.code, 0, created.stderr);
    await cli(['produce', topic, '--server', herald.url], {}, [], { stdin: 'x'.repeat(100).concat('\n').repeat(5_000) });
    const consumer = spawn(NODE, ['bin/herald.ts', 'consume', topic, '--follow', '--server', herald.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => consumer.kill('SIGKILL'));
    const exit = finished(consumer);
    // Like `head -1`: read one chunk, then close the pipe.
    await new Promise<void>((resolve) => consumer.stdout.once('data', () => resolve()));
    consumer.stdout.destroy();
    const result = await exit;
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /EPIPE|Error/);
  });
});

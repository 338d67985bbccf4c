import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pkg from '../../package.json' with { type: 'json' };
import { run } from '../support/herald-process.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const BIN = 'bin/herald.ts';

describe('herald CLI', () => {
  it('prints its version and help', async () => {
    const version = await run(BIN, ['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await run(BIN, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: herald <command>/);
    assert.match(help.stdout, /start\s+run Herald/);
    const startHelp = await run(BIN, ['start', '--help']);
    assert.match(startHelp.stdout, /--data-dir DIR/);
  });

  it('exits 2 with one line and usage on an unknown command, flag or missing command', async () => {
    const command = await run(BIN, ['launch']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /^herald: unknown command 'launch'\nusage: herald <command>/);
    const flag = await run(BIN, ['start', '--colour', 'blue']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^herald start: Unknown option '--colour'\nusage: herald start/);
    assert.equal((await run(BIN, [])).code, 2);
    const service = await run(BIN, ['start', 'nosuch']);
    assert.equal(service.code, 2);
    assert.match(service.stderr, /unknown service 'nosuch'/);
  });

  it('exits 2 listing every config problem without a stack trace', async () => {
    const result = await run(BIN, ['start', '--port', 'x', '--log-level', 'loud'], { HERALD_HTTP__HOST: '' });
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split('\n');
    assert.deepEqual(lines, [
      'herald: config: http.host: "" is not valid (from HERALD_HTTP__HOST); expected a host name or IP address',
      'herald: config: http.port: "x" is not valid (from command line); expected an integer from 0 to 65535',
      'herald: config: log.level: "loud" is not valid (from command line); expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
  });

  it('fails with a clear error when the data dir is owned by another process', async (t) => {
    const dataDir = scratchDir('herald-cli-');
    const { startHerald } = await import('../support/herald-process.ts');
    const first = await startHerald(t, BIN, ['--data-dir', dataDir]);
    const second = await run(BIN, ['start', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`HERALD_DATA_DIR_LOCKED: .*${first.child.pid}`));
  });

  it('a taken HTTP port is one line naming the address, not a stack', async (t) => {
    const { startHerald } = await import('../support/herald-process.ts');
    const first = await startHerald(t, BIN, ['--data-dir', scratchDir('herald-cli-')]);
    const { port } = new URL(first.url);
    const dataDir = scratchDir('herald-cli-');
    const second = await run(BIN, ['start', 'notify', '--port', port, '--data-dir', dataDir, '--log-level', 'silent']);
    assert.equal(second.code, 1);
    assert.deepEqual(second.stderr.trim().split('\n'), [
      `herald start: HERALD_ADDRESS_IN_USE: 127.0.0.1:${port} is in use (another Herald running? choose --port)`,
    ]);
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json } from '../../src/config/fields.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { platformSchema } from '../../src/config/schema.ts';
import { scratchDir } from '../support/scratch-dir.ts';

function file(name: string, text: string): string {
  const path = join(scratchDir('herald-config-'), name);
  writeFileSync(path, text);
  return path;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'HERALD_CONFIG_INVALID');
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(platformSchema);
    assert.equal(config.http.port, 8080);
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.dataDir, './data');
    assert.equal(config.broker.url, 'embedded');
    assert.equal(config.log.level, 'info');
    assert.equal(config.log.file, '');
  });

  it('layers defaults < file < env < flags', () => {
    const yaml = file(
      'herald.yaml',
      'http:\n  port: 7000\n  host: 0.0.0.0\n  bodyLimitBytes: 2048\nlog:\n  level: warn\ndata_dir: /from-file\n',
    );
    const config = loadConfig(platformSchema, {
      file: yaml,
      env: { HERALD_HTTP__PORT: '7100', HERALD_LOG__LEVEL: 'debug', PATH: '/bin' },
      flags: { 'http.port': '7200' },
    });
    assert.equal(config.http.port, 7200, 'flag beats env and file');
    assert.equal(config.log.level, 'debug', 'env beats file');
    assert.equal(config.http.host, '0.0.0.0', 'file beats default');
    assert.equal(config.dataDir, '/from-file', 'snake_case file keys are accepted');
    assert.equal(config.http.bodyLimitBytes, 2048, 'camelCase file keys are kept');
    assert.equal(config.shutdown.timeoutMs, 10_000, 'untouched keys keep defaults');
  });

  it('reads JSON files and nested env keys', () => {
    const path = file(
      'herald.json',
      JSON.stringify({ broker: { url: 'kafka://a:9092,b:9092', sasl: { mechanism: 'PLAIN' } } }),
    );
    const config = loadConfig(platformSchema, {
      file: path,
      env: { HERALD_LOG__ROTATE__KEEP: '3', HERALD_BROKER__TLS__ENABLED: 'yes' },
    });
    assert.equal(config.broker.url, 'kafka://a:9092,b:9092');
    assert.equal(config.broker.sasl.mechanism, 'PLAIN');
    assert.equal(config.log.rotate.keep, 3);
    assert.equal(config.broker.tls.enabled, true);
  });

  it('reports every problem at once, naming key, value, source and expectation', () => {
    const yaml = file('bad.yaml', 'http:\n  port: "8080"\n  colour: blue\nnope: 1\n');
    const lines = problems(() =>
      loadConfig(platformSchema, {
        file: yaml,
        env: { HERALD_HTTP__PORT: '80x', HERALD_UNKNOWN__THING: '1', HERALD_TEST_KAFKA: 'ignored' },
        flags: { 'log.level': 'loud', 'broker.url': 'amqp://x' },
      }),
    );
    assert.deepEqual(lines, [
      `http.port: "8080" is not valid (from ${yaml}); expected an integer from 0 to 65535`,
      `http.colour: unknown key (from ${yaml})`,
      `nope: unknown key (from ${yaml})`,
      'http.port: "80x" is not valid (from HERALD_HTTP__PORT); expected an integer from 0 to 65535',
      'unknown.thing: unknown key (from HERALD_UNKNOWN__THING)',
      'log.level: "loud" is not valid (from command line); expected one of fatal, error, warn, info, debug, trace, silent',
      'broker.url: "amqp://x" is not valid (from command line); expected `embedded` or kafka://host:port[,host:port…]',
    ]);
  });

  it('rejects bad env values of every field type', () => {
    const lines = problems(() =>
      loadConfig(platformSchema, {
        env: {
          HERALD_BROKER__TLS__ENABLED: 'maybe',
          HERALD_HTTP__PORT: '70000',
          HERALD_LOG__ROTATE__SIZE: 'big',
          HERALD_DATA_DIR: ' ',
        },
      }),
    );
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^broker\.tls\.enabled: "maybe" .*expected true or false$/);
    assert.match(lines[1], /^http\.port: "70000" .*expected an integer from 0 to 65535$/);
    assert.match(lines[2], /^log\.rotate\.size: "big" .*expected a size such as 500k, 10m or 1g$/);
    assert.match(lines[3], /^dataDir: " " .*expected a non-empty path$/);
  });

  it('reports unreadable and malformed files', () => {
    assert.match(
      problems(() => loadConfig(platformSchema, { file: '/no/such/herald.yaml' }))[0],
      /cannot be read \(ENOENT\)/,
    );
    assert.match(problems(() => loadConfig(platformSchema, { file: file('x.json', '{nope') }))[0], /not valid JSON/);
    assert.match(
      problems(() => loadConfig(platformSchema, { file: file('x.yaml', '- a\n- b\n') }))[0],
      /mapping of keys/,
    );
    assert.equal(loadConfig(platformSchema, { file: file('empty.yaml', '') }).http.port, 8080);
  });

  it('parses structured fields from JSON text in env and as-is in files', () => {
    const schema = {
      list: json<string[]>([], 'a list', 'a list of strings', (v) =>
        Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : undefined,
      ),
    };
    assert.deepEqual(loadConfig(schema, { env: { HERALD_LIST: '["a","b"]' } }).list, ['a', 'b']);
    assert.deepEqual(loadConfig(schema, { file: file('l.yaml', 'list: [c]\n') }).list, ['c']);
    assert.match(problems(() => loadConfig(schema, { env: { HERALD_LIST: '[1' } }))[0], /expected a list of strings/);
  });
});

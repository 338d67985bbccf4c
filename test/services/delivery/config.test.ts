import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseDestinations } from '../../../services/delivery/config.ts';
import { deliveryService } from '../../../services/delivery/index.ts';
import { parseMocks } from '../../../services/delivery/mock-config.ts';
import { resolveTransforms } from '../../../services/delivery/transforms.ts';
import { heraldSchema } from '../../../src/platform/boot.ts';
import { ConfigError, loadConfig } from '../../../src/config/load.ts';

const schema = heraldSchema([deliveryService]);
type Loaded = { delivery: { destinations: { id: string }[]; mocks: { id: string }[]; partitions: number } };

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('delivery config', () => {
  it('defaults to the two mock destinations, served by Herald itself', () => {
    const config = loadConfig(schema) as unknown as Loaded;
    assert.deepEqual(
      config.delivery.destinations.map((d) => d.id),
      ['mock-mostly-ok', 'mock-mostly-failing'],
    );
    assert.deepEqual(
      config.delivery.mocks.map((m) => m.id),
      ['mock-mostly-ok', 'mock-mostly-failing'],
    );
    assert.equal(config.delivery.partitions, 8);
  });

  it('fills destination defaults and keeps what is given', () => {
    const parsed = parseDestinations([
      { id: 'crm', url: 'https://crm.example/hook', maxAttempts: 3, backoff: { initialMs: 50 }, ratePerSec: 10 },
    ]);
    assert.ok(Array.isArray(parsed));
    assert.deepEqual(parsed[0], {
      id: 'crm',
      url: 'https://crm.example/hook',
      timeoutMs: 5_000,
      maxAttempts: 3,
      maxAgeMs: 3_600_000,
      backoff: { initialMs: 50, maxMs: 30_000 },
      concurrency: 64,
      transform: 'default',
      ratePerSec: 10,
    });
  });

  it('names every problem of a destination list', () => {
    const parsed = parseDestinations([
      { id: 'Bad Id', url: 'ftp://x', timeoutMs: 0, colour: 'red' },
      { id: 'ok', url: '/local', backoff: { initialMs: 100, maxMs: 10 }, headers: { 'Idempotency-Key': 'x' } },
      { id: 'ok', url: 'http://h', secret: '' },
      { id: 'events', url: 'http://h', headers: { 'x-nul': 'a\u0000b', 'x-emoji': '\u{1F511}', 'x-lf': 'a\nb' } },
    ]);
    assert.ok(!Array.isArray(parsed));
    const text = parsed.problems.join('\n');
    for (const expected of [
      '[0].colour is not a destination setting',
      '[0].id must match',
      '[0].url must be an http(s):// URL',
      '[0].timeoutMs must be an integer',
      '[1].backoff.maxMs must be >= backoff.initialMs',
      '[1].headers.Idempotency-Key is not a header name a destination may set',
      '[2].secret must be a non-empty string',
      '[2].id "ok" is used twice',
      '[3].id must match',
      '[3].headers.x-nul must be printable ASCII',
      '[3].headers.x-emoji must be printable ASCII',
      '[3].headers.x-lf must be printable ASCII',
    ]) {
      assert.ok(text.includes(expected), `${expected}\nin:\n${text}`);
    }
  });

  it('reads destinations as JSON from the environment and reports bad ones with the key', () => {
    const env = { HERALD_DELIVERY__DESTINATIONS: '[{"id":"a","url":"http://127.0.0.1:1/x"}]' };
    const config = loadConfig(schema, { env }) as unknown as Loaded;
    assert.deepEqual(
      config.delivery.destinations.map((d) => d.id),
      ['a'],
    );
    const bad = problems(() => loadConfig(schema, { env: { HERALD_DELIVERY__DESTINATIONS: '[{"id":"a"}]' } }));
    assert.match(bad[0], /^delivery\.destinations: .* \(\[0\]\.url must be/);
    const notJson = problems(() => loadConfig(schema, { env: { HERALD_DELIVERY__DESTINATIONS: '[' } }));
    assert.match(notJson[0], /as JSON/);
  });

  it('reads destinations from a YAML file', (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-delivery-config-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'herald.yaml');
    writeFileSync(
      file,
      [
        'delivery:',
        '  topic_prefix: shop',
        '  destinations:',
        '    - id: warehouse',
        '      url: http://127.0.0.1:9000/events',
        '      maxAttempts: 5',
        '      headers: { x-api-key: abc }',
        '  mocks: []',
      ].join('\n'),
    );
    const config = loadConfig(schema, { file }) as unknown as Loaded & { delivery: { topicPrefix: string } };
    assert.equal(config.delivery.topicPrefix, 'shop');
    const expected = parseDestinations([
      { id: 'warehouse', url: 'http://127.0.0.1:9000/events', maxAttempts: 5, headers: { 'x-api-key': 'abc' } },
    ]);
    assert.deepEqual(config.delivery.destinations, expected);
    assert.deepEqual(config.delivery.mocks, []);
  });

  it('checks mocks', () => {
    assert.deepEqual(parseMocks([{ id: 'm', failureRate: 0.5, minLatencyMs: 1, maxLatencyMs: 2 }]), [
      { id: 'm', failureRate: 0.5, minLatencyMs: 1, maxLatencyMs: 2 },
    ]);
    const bad = parseMocks([{ id: 'M!', failureRate: 2, minLatencyMs: 5, maxLatencyMs: 1, x: 1 }, 'nope']);
    assert.ok(!Array.isArray(bad));
    assert.equal(bad.problems.length, 5);
    assert.deepEqual(parseMocks({}), { problems: ['mocks must be a list'] });
  });

  it('refuses a destination naming a transform nobody registered', () => {
    const destinations = parseDestinations([{ id: 'a', url: 'http://h', transform: 'fancy' }]);
    assert.ok(Array.isArray(destinations));
    assert.throws(() => resolveTransforms(destinations), { code: 'HERALD_CONFIG_INVALID', message: /fancy/ });
    assert.equal(resolveTransforms(destinations, { fancy: () => null }).size, 1);
  });
});

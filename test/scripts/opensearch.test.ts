import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCAL_OPENSEARCH_URL, openSearchLayout, parseOpenSearchVersion } from '../../scripts/opensearch/layout.ts';
import { health, JAVA_OPTS, nodeSettings } from '../../scripts/opensearch/server.ts';
import { openSearchLocal } from '../support/opensearch.ts';

describe('local OpenSearch scripts', () => {
  it('run one node on loopback with a small heap', () => {
    const settings = nodeSettings(openSearchLayout('/tmp/herald-cache'));
    assert.ok(settings.includes('-Enetwork.host=127.0.0.1'));
    assert.ok(settings.includes('-Ediscovery.type=single-node'));
    assert.ok(settings.includes('-Ehttp.port=29200'));
    assert.match(JAVA_OPTS, /-Xmx512m/);
    assert.equal(LOCAL_OPENSEARCH_URL, 'http://127.0.0.1:29200');
  });

  it('pin the version in the pom and keep the zip in the cache dir', () => {
    assert.equal(parseOpenSearchVersion('<opensearch.version> 2.19.6 </opensearch.version>'), '2.19.6');
    assert.throws(() => parseOpenSearchVersion('<project/>'), /no <opensearch.version>/);
    const layout = openSearchLayout('/tmp/herald-cache');
    assert.equal(layout.zipFile, `/tmp/herald-cache/opensearch-${layout.version}.zip`);
    assert.equal(layout.dir, `/tmp/herald-cache/opensearch-${layout.version}`);
  });

  it('report a silent node as not answering', async () => {
    assert.equal(await health('http://127.0.0.1:1', 500), undefined);
  });

  it('skip, or fail under HERALD_REQUIRE_OPENSEARCH=1, when no node answers', async () => {
    const skipped: string[] = [];
    const t = { skip: (m?: string) => void skipped.push(m ?? ''), after: () => {} };
    const env = { HERALD_TEST_OPENSEARCH: 'http://127.0.0.1:1' };
    assert.equal(await openSearchLocal(t, env), undefined);
    assert.match(skipped[0], /npm run opensearch:up/);
    await assert.rejects(openSearchLocal(t, { ...env, HERALD_REQUIRE_OPENSEARCH: '1' }), /HERALD_REQUIRE_OPENSEARCH=1/);
  });

  it('give each test an index name of its own', async (t) => {
    const search = await openSearchLocal(t);
    if (!search) return;
    const other = await openSearchLocal(t);
    assert.notEqual(search.index, other?.index);
    const created = await fetch(`${search.url}/${search.index}`, { method: 'PUT' });
    assert.equal(created.status, 200);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'node_modules', '.bin');

async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(dir, path), await readFile(path, 'utf8'));
  }
  return out;
}

it('the committed src/gen is what `npm run proto` makes from proto/ (regenerated and compared)', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'herald-proto-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  // The local plugin runs on the project's Node (node_modules/.bin/node), found first on PATH.
  const result = spawnSync(join(bin, 'buf'), ['generate', '--output', out], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(result.status, 0, `buf generate failed: ${result.stderr}`);
  const fresh = await files(join(out, 'src', 'gen'));
  const committed = await files(join(root, 'src', 'gen'));
  assert.ok(fresh.size > 0, 'buf generated nothing');
  assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), 'generated files differ: run npm run proto');
  for (const [path, text] of fresh) assert.equal(committed.get(path), text, `${path} is stale: run npm run proto`);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('scratch directories of tests', () => {
  it('exist while the process runs, files and all, and are gone once it exits', () => {
    const script = [
      "import { existsSync, writeFileSync, mkdirSync } from 'node:fs';",
      "import { scratchDir } from './test/support/scratch-dir.ts';",
      "const a = scratchDir('herald-scratch-check-');",
      "const b = scratchDir('herald-scratch-check-');",
      "mkdirSync(a + '/nested'); writeFileSync(a + '/nested/file', 'x');",
      'console.log(JSON.stringify({ a, b, existed: existsSync(a + "/nested/file") && existsSync(b) && a !== b }));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { a, b, existed } = JSON.parse(child.stdout) as { a: string; b: string; existed: boolean };
    assert.equal(existed, true);
    assert.equal(existsSync(a), false);
    assert.equal(existsSync(b), false);
  });
});

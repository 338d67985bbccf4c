import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { sweepCutCoverage } from '../../scripts/coverage-janitor.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const WHOLE = '{"result":[{"scriptId":"1","url":"file:///x.js","functions":[]}],"timestamp":1}\n';

it('removes the coverage files of gone processes that are empty or cut off, and nothing else', () => {
  const dir = scratchDir('herald-coverage-');
  const files: Record<string, string> = {
    'coverage-101-1-0.json': '', // its writer was killed before writing
    'coverage-102-2-0.json': WHOLE.slice(0, 40), // killed mid-write
    'coverage-103-3-0.json': WHOLE, // written whole
    'coverage-111-4-0.json': '', // its writer is still writing
    'notes.txt': '',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const removed = sweepCutCoverage(dir, (pid) => pid === 111);
  assert.deepEqual(removed.sort(), ['coverage-101-1-0.json', 'coverage-102-2-0.json']);
  assert.deepEqual(readdirSync(dir).sort(), ['coverage-103-3-0.json', 'coverage-111-4-0.json', 'notes.txt']);
  assert.deepEqual(sweepCutCoverage(path.join(dir, 'missing')), [], 'a directory already removed is no error');
});

it('tells a process that exited from one that runs', () => {
  const dir = scratchDir('herald-coverage-');
  const exited = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(path.join(dir, `coverage-${exited}-1-0.json`), '');
  writeFileSync(path.join(dir, `coverage-${process.pid}-1-0.json`), '');
  sweepCutCoverage(dir);
  assert.equal(existsSync(path.join(dir, `coverage-${exited}-1-0.json`)), false);
  assert.equal(existsSync(path.join(dir, `coverage-${process.pid}-1-0.json`)), true);
});

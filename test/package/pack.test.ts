/**
 * Herald as a package: builds it, packs it, installs the tarball into a scratch project outside this tree (its
 * dependencies come from npm's cache) and runs there, on this project's Node 24, the examples the README gives under
 * "Use Herald in your own project" and "Writing a stateful processor" — and the package's `herald` bin.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url).pathname;
// npm scripts and the package's bin find this project's Node 24 first.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };

/** A README example: the `ts` block after the marker `<!-- name`. */
function readmeExample(name: 'package-example' | 'processor-example'): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const marker = readme.indexOf(`<!-- ${name}`);
  assert.ok(marker >= 0, `README.md has the ${name}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(marker));
  assert.ok(block, 'the marker is followed by a ts block');
  return block[1];
}

describe('the packed package', () => {
  it('installs into a project of its own and runs the README example and its bin', { timeout: 180_000 }, async (t) => {
    const scratch = mkdtempSync(join(tmpdir(), 'herald-package-'));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    await run('npm', ['run', 'build'], { cwd: repo, env });
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
      cwd: repo,
      env,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path);
    assert.ok(paths.includes('dist/src/index.js') && paths.includes('dist/src/index.d.ts'), 'JavaScript and types');
    assert.ok(paths.includes('dist/bin/herald.js'));
    assert.deepEqual(
      paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md'].includes(p)),
      [],
      'nothing but the build, the manifest and the README',
    );
    assert.deepEqual(
      paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')),
      [],
      'no TypeScript sources: Node does not strip types inside node_modules',
    );

    const project = join(scratch, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'greetings', private: true, type: 'module' }));
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(scratch, filename)],
      { cwd: project, env },
    );
    writeFileSync(join(project, 'greetings.ts'), readmeExample('package-example'));
    const example = await run(process.execPath, ['greetings.ts'], { cwd: project, env, timeout: 60_000 });
    assert.match(example.stdout, /^hello, Ada \(partition \d\)$/m);

    writeFileSync(join(project, 'balances.ts'), readmeExample('processor-example'));
    const processor = await run(process.execPath, ['balances.ts'], { cwd: project, env, timeout: 60_000 });
    assert.match(processor.stdout, /^ada: 42$/m, 'the view read the processor\'s table through herald/processor');

    const help = await run(join(project, 'node_modules', '.bin', 'herald'), ['--help'], { cwd: project, env });
    assert.match(help.stdout, /usage: herald <command>/);
    assert.match(help.stdout, /^ {2}start +run Herald/m);
    assert.match(help.stdout, /^ {2}processors +list the stateful processors/m);

    // Only the entry points are doors into the package.
    await assert.rejects(
      run(process.execPath, ['--input-type=module', '-e', "await import('herald/dist/src/errors.js')"], {
        cwd: project,
        env,
      }),
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });
});

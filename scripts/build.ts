/**
 * `npm run build`: compiles bin/, src/ and services/ to JavaScript and `.d.ts` in dist/ (tsc with
 * tsconfig.build.json: relative `.ts` imports rewritten to `.js`), then writes dist/package.json, which gives the
 * compiled files their module type and the `#herald…` import aliases pointing at the compiled entry points — Node
 * resolves an alias against the nearest package.json, and inside the installed package that is this one.
 * `npm pack` runs it first (`prepack`); the package ships dist/ only.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const root = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string;
  version: string;
  imports: Record<string, string>;
};

rmSync('dist', { recursive: true, force: true });
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(tsc.status ?? 1);
}

const imports = Object.fromEntries(
  Object.entries(root.imports).map(([alias, target]) => [alias, target.replace(/\.ts$/, '.js')]),
);
writeFileSync(
  'dist/package.json',
  `${JSON.stringify({ name: root.name, version: root.version, type: 'module', imports }, null, 2)}\n`,
);
chmodSync('dist/bin/herald.js', 0o755);
process.stdout.write(`build: dist/ written (${root.name} ${root.version})\n`);

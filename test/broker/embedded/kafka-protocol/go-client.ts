/**
 * The franz-go test client (`fixtures/go-client`), built on first use from the Go module proxy into Herald's
 * cache directory (`$HERALD_CACHE_DIR` or `~/.cache/herald`), never into the tree. Rebuilt when its sources change.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../kafka/tools.ts';

const SOURCES = join(import.meta.dirname, 'fixtures/go-client');
const FILES = ['main.go', 'go.mod'];
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** Why the Go client cannot be built here, or undefined. */
export function goMissing(): string | undefined {
  return spawnSync('go', ['version']).status === 0 ? undefined : 'no go on PATH (install Go to build the franz-go client)';
}

/** The path of the built client, building it when needed. Throws with the build's output when it fails. */
export async function goClient(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of FILES) hash.update(readFileSync(join(SOURCES, file)));
  const dir = join(process.env.HERALD_CACHE_DIR || join(homedir(), '.cache', 'herald'), `go-client-${hash.digest('hex').slice(0, 12)}`);
  const binary = join(dir, 'go-client');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  for (const file of FILES) copyFileSync(join(SOURCES, file), join(dir, file));
  const env = { GOFLAGS: '-mod=mod' };
  for (const args of [['mod', 'tidy'], ['build', '-o', 'go-client.tmp', '.']]) {
    const result = await run('sh', ['-c', `cd '${dir}' && GOFLAGS=${env.GOFLAGS} go ${args.join(' ')}`], undefined, BUILD_TIMEOUT_MS);
    if (result.code !== 0) throw new Error(`go ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  }
  renameSync(join(dir, 'go-client.tmp'), binary);
  return binary;
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { BrokerRecord, ConsumerListener } from '../../../src/broker/port.ts';
import {
  createEmbeddedBroker,
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
} from '../../../src/broker/embedded/index.ts';
import { type ErrorCode, HeraldError } from '../../../src/errors.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const NODE = path.join(ROOT, 'node_modules/.bin/node');

/** A fresh temporary directory, removed after the test. */
export function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-embedded-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * A started broker on `dataDir` (default: a fresh temp dir), stopped after the test. Cleanup hooks run in reverse
 * order of registration, so the broker stops before its directory is removed.
 */
export async function openBroker(
  t: TestContext,
  options: EmbeddedBrokerOptions & { dataDir?: string; durability?: 'fsync' | 'os' } = {},
): Promise<EmbeddedBroker> {
  const dataDir = options.dataDir ?? tempDir(t);
  const broker = createEmbeddedBroker({ kind: 'embedded', ...options, dataDir });
  t.after(() => broker.stop());
  await broker.start();
  return broker;
}

/** Asserts that `action` fails (sync or async) with a HeraldError of `code`; returns the error. */
export async function rejectsWithCode(action: () => unknown, code: ErrorCode): Promise<HeraldError> {
  try {
    await action();
  } catch (err) {
    assert.ok(err instanceof HeraldError, `expected ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition`; the timeout only turns a hang into a failure that says what was awaited. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

/** Like {@link waitFor} for an asynchronous condition. */
export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await sleep(5);
  }
}

export function text(buffer: Buffer | null): string | null {
  return buffer === null ? null : buffer.toString('utf8');
}

/** A listener that keeps every record it gets. */
export function collector(extra: Partial<ConsumerListener> = {}): ConsumerListener & { records: BrokerRecord[] } {
  const records: BrokerRecord[] = [];
  return {
    records,
    ...extra,
    async onRecords(batch) {
      records.push(...batch);
      await extra.onRecords?.(batch);
    },
  };
}

export function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { TestContext } from 'node:test';
import { boot, type Running } from '../../src/cli/boot.ts';
import type { ServiceDefinition } from '../../src/runtime/service.ts';

/**
 * Boots Herald in this process on a free port with a fresh data dir and silent logs; stopped when the test ends.
 * `flags` are dotted config keys.
 */
export async function bootHerald(
  t: TestContext,
  flags: Record<string, string> = {},
  services: ServiceDefinition[] = [],
): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-boot-'));
  const running = await boot({
    services,
    env: {},
    // No Kafka listener unless a test asks: 127.0.0.1:9092 belongs to the test Kafka.
    flags: { 'http.port': '0', dataDir, 'log.level': 'silent', 'broker.kafkaListener.listen': 'off', ...flags },
    logStream: new PassThrough(),
  });
  t.after(async () => {
    await running.lifecycle.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return running;
}

/** JSON request helper: resolves with status and parsed body. */
export async function request(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

import type { TestContext } from 'node:test';
import type { ServiceDefinition } from '../../src/platform/service.ts';
import { startTestHerald, type TestHerald } from '../../src/testing/herald.ts';

/**
 * Boots Herald in this process (`herald/testing`'s `startTestHerald`: a free port, a fresh data dir, silent logs),
 * stopped when the test ends. `flags` are dotted config keys.
 */
export async function bootHerald(
  t: TestContext,
  flags: Record<string, string> = {},
  services: ServiceDefinition[] = [],
): Promise<TestHerald> {
  const running = await startTestHerald({ services, config: flags });
  t.after(() => running.stop());
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

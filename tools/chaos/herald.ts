/** Herald as the robustness suite runs it: every service, a data dir of the probe's own, no Kafka listener. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HeraldChild, type HeraldChildOptions } from '../shared/herald-child.ts';

/** A Herald child of every service on `<workDir>/<name>/data`; its stderr (the log) is kept whole in `log()`. */
export function chaosHerald(
  workDir: string,
  name: string,
  over: Partial<HeraldChildOptions> = {},
): { herald: HeraldChild; log: () => string } {
  const dir = path.join(workDir, name);
  mkdirSync(dir, { recursive: true });
  let log = '';
  const herald = new HeraldChild({
    dataDir: path.join(dir, 'data'),
    config: {},
    services: [],
    startTimeoutMs: 90_000,
    ...over,
    env: { HERALD_BROKER__KAFKA_LISTENER__LISTEN: 'off', ...over.env },
    onStderr: (text) => {
      log += text;
      over.onStderr?.(text);
    },
  });
  return { herald, log: () => log };
}

/**
 * `fetch` with a deadline; resolves with status and text, or `undefined` when the deadline passed. A socket error
 * is tried once more: a kept-alive connection the server closed after an error answer (as it should) may be picked
 * for the next request before its close is seen.
 */
export async function request(
  url: string,
  init: RequestInit = {},
  timeoutMs = 10_000,
): Promise<{ status: number; text: string } | undefined> {
  const once = async () => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, text: await response.text() };
  };
  try {
    return await once().catch((err: Error) => (err.name === 'TimeoutError' ? Promise.reject(err) : once()));
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return undefined;
    throw err;
  }
}

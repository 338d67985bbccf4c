import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded/index.ts';

/** An embedded broker for a test; `stop` also removes its data directory. */
export type TestBroker = EmbeddedBroker;

/**
 * A started embedded broker in a fresh temporary data directory, for tests of routers and producers without the
 * rest of the platform. `stop()` closes it and deletes the directory.
 */
export async function startTestBroker(): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-test-broker-'));
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir, durability: 'os' });
  await broker.start();
  const stop = broker.stop.bind(broker);
  return Object.assign(broker, {
    stop: async () => {
      try {
        await stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  });
}

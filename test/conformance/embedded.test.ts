import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import type { EmbeddedBroker } from '../../src/broker/embedded/index.ts';
import type { EmbeddedBrokerSpec } from '../../src/broker/index.ts';
import { conformance } from './suite.ts';

async function freshDataDir(t: TestContext): Promise<EmbeddedBrokerSpec> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-conformance-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  return { kind: 'embedded', dataDir };
}

/** The broker `createBroker` built for an embedded spec, with its on-demand cleaning. */
function embedded(broker: Broker): EmbeddedBroker {
  return broker as EmbeddedBroker;
}

conformance('embedded', {
  spec: freshDataDir,
  features: {
    exactTimestamps: true,
    compaction: {
      // Tombstones go in the same pass instead of after Kafka's default day.
      topicConfigs: { 'delete.retention.ms': '0' },
      force: async (broker, topic) => {
        await embedded(broker).compactNow(topic);
      },
      keepsTombstones: false,
    },
    retention: {
      force: async (broker, topic) => {
        await embedded(broker).enforceRetentionNow(topic);
      },
    },
    crashRestart: 'sameDataDir',
    noTransactions: null,
    unreachableSpec: null,
    timeoutMs: 10_000,
  },
});

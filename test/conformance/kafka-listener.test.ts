/**
 * The conformance suite through Herald's Kafka adapter (`@platformatic/kafka`) pointed at the embedded broker's
 * Kafka listener: the same suite real Kafka passes, now against the embedded log over the Kafka protocol. One
 * embedded broker serves the whole file (a server, like a Kafka cluster); topic and group names are unique per test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded/index.ts';
import { conformance } from './suite.ts';

let server: Promise<{ broker: EmbeddedBroker; bootstrap: string }> | undefined;
const cleanups: (() => Promise<void>)[] = [];

after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** The embedded broker behind the listener, started on first use and stopped after the file. */
function listener(): Promise<{ broker: EmbeddedBroker; bootstrap: string }> {
  server ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-kafka-listener-'));
    const broker = createEmbeddedBroker({
      kind: 'embedded',
      dataDir,
      kafkaListener: { listen: '127.0.0.1:0', initialRebalanceDelayMs: 100 },
    });
    await broker.start();
    cleanups.push(async () => {
      await broker.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    const address = broker.kafkaListenerAddress()!;
    return { broker, bootstrap: `${address.host}:${address.port}` };
  })();
  return server;
}

conformance('embedded broker over the Kafka protocol', {
  async spec() {
    const { bootstrap } = await listener();
    return { kind: 'kafka', bootstrap: [bootstrap] };
  },
  features: {
    exactTimestamps: true,
    compaction: {
      topicConfigs: { 'delete.retention.ms': '0' },
      force: async (_broker, topic) => {
        await (await listener()).broker.compactNow(topic);
      },
      keepsTombstones: false,
    },
    retention: {
      force: async (_broker, topic) => {
        await (await listener()).broker.enforceRetentionNow(topic);
      },
    },
    crashRestart: 'remote',
    // The listener accepts session timeouts from 1 s (Kafka's default minimum is 6 s).
    crashSessionTimeoutMs: 2_000,
    noTransactions: null,
    unreachableSpec: () => ({ kind: 'kafka', bootstrap: ['127.0.0.1:1'] }),
    timeoutMs: 30_000,
  },
});

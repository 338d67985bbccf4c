import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrokerSpec } from '../broker/create.ts';
import type { KafkaBrokerSpec } from '../broker/kafka/options.ts';
import type { PlatformConfig } from '../config/schema.ts';

/** Bootstrap servers of a `kafka://host:port[,host:port…]` URL. */
export function kafkaBootstrap(url: string): string[] {
  return url
    .slice('kafka://'.length)
    .split(',')
    .filter((s) => s.length > 0);
}

/** The broker the config asks for: `broker.url` picks embedded or Kafka; the rest passes through. */
export function brokerSpecFromConfig(config: PlatformConfig): BrokerSpec {
  const broker = config.broker;
  if (broker.url === 'embedded') {
    const listener = broker.kafkaListener;
    return {
      kind: 'embedded',
      dataDir: resolve(config.dataDir),
      durability: broker.durability,
      acceptEmptyStorage: broker.acceptEmptyStorage,
      kafkaListener: {
        listen: listener.listen,
        advertisedHost: listener.advertisedHost,
        maxFrameBytes: listener.maxFrameBytes,
        autoCreateTopics: listener.autoCreateTopics,
        defaultPartitions: listener.defaultPartitions,
        sasl: listener.sasl,
      },
    };
  }
  const spec: KafkaBrokerSpec = {
    kind: 'kafka',
    bootstrap: kafkaBootstrap(broker.url),
    clientId: broker.clientId,
    producer: {
      acks: broker.producer.acks,
      lingerMs: broker.producer.lingerMs,
      compression: broker.producer.compression,
    },
    transactions: {
      intervalMs: broker.transactions.intervalMs,
      protocol: broker.transactions.protocol === 'auto' ? 'auto' : broker.transactions.protocol === '1' ? 1 : 2,
    },
  };
  if (broker.replicationFactor > 0) spec.replicationFactor = broker.replicationFactor;
  if (broker.sasl.mechanism !== 'none') {
    spec.sasl = { mechanism: broker.sasl.mechanism, username: broker.sasl.username, password: broker.sasl.password };
  }
  if (broker.tls.enabled) {
    const read = (file: string) => (file ? readFileSync(file, 'utf8') : undefined);
    spec.tls = {
      ca: read(broker.tls.caFile),
      cert: read(broker.tls.certFile),
      key: read(broker.tls.keyFile),
      rejectUnauthorized: broker.tls.rejectUnauthorized,
    };
  }
  return spec;
}

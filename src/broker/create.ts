import type { Logger } from 'pino';
import type { EmbeddedBrokerSpec } from './embedded/options.ts';
import type { KafkaBrokerSpec } from './kafka/options.ts';
import type { Broker } from './port.ts';

/** Which broker to build and how: the embedded log in a data directory, or an Apache Kafka cluster. */
export type BrokerSpec = EmbeddedBrokerSpec | KafkaBrokerSpec;

/** Builds (but does not start) the broker a spec describes. Kafka code is loaded only when asked for. */
export async function createBroker(spec: BrokerSpec, logger?: Logger): Promise<Broker> {
  if (spec.kind === 'embedded') {
    const { createEmbeddedBroker } = await import('./embedded/index.ts');
    return createEmbeddedBroker(spec, logger);
  }
  const { createKafkaBroker } = await import('./kafka/index.ts');
  return createKafkaBroker(spec, logger);
}

import type { TestContext } from 'node:test';
import { probeBroker } from '../../scripts/kafka/protocol.ts';

/**
 * Gates for tests that need a real Apache Kafka. A test asks for the single node or the 3-node cluster and gets
 * bootstrap servers when brokers answer there; otherwise it is skipped, or fails when HERALD_REQUIRE_KAFKA=1
 * (CI sets that after `npm run kafka:up` so a broker that did not come up cannot pass as "skipped").
 *
 *   const servers = await kafkaSingle(t);
 *   if (!servers) return; // skipped
 */

export const DEFAULT_KAFKA_SINGLE = '127.0.0.1:9092';
export const DEFAULT_KAFKA_CLUSTER = '127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:31092';

/** `host:port,host:port` → `['host:port', ...]`, blanks dropped. */
export function parseBootstrapList(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The addresses of `servers` where no Kafka broker answers ApiVersions/Metadata within `timeoutMs`. */
export async function silentBrokers(servers: readonly string[], timeoutMs = 2000): Promise<string[]> {
  const answers = await Promise.all(
    servers.map((server) => {
      const colon = server.lastIndexOf(':');
      const port = Number(server.slice(colon + 1));
      if (colon <= 0 || !Number.isInteger(port)) return Promise.resolve(undefined);
      return probeBroker(server.slice(0, colon), port, timeoutMs);
    }),
  );
  return servers.filter((_, i) => answers[i] === undefined);
}

/**
 * Bootstrap servers of the single local broker (`$HERALD_TEST_KAFKA` or 127.0.0.1:9092) once one answers there.
 * @returns the servers, or undefined after `t.skip(...)` when none answers; the test should then return.
 * @throws Error when none answers and HERALD_REQUIRE_KAFKA=1, failing the test with what to run.
 */
export function kafkaSingle(
  t: Pick<TestContext, 'skip'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | undefined> {
  const servers = parseBootstrapList(env.HERALD_TEST_KAFKA || DEFAULT_KAFKA_SINGLE);
  return gate(t, env, servers, 'single', 'npm run kafka:up', 'HERALD_TEST_KAFKA');
}

/**
 * Bootstrap servers of the 3-node cluster (`$HERALD_TEST_KAFKA_CLUSTER` or 127.0.0.1:19092,29092,31092) once
 * every listed broker answers: fault tests need all of them up before they take one down.
 * @returns the servers, or undefined after `t.skip(...)`; the test should then return.
 * @throws Error when one does not answer and HERALD_REQUIRE_KAFKA=1.
 */
export function kafkaCluster(
  t: Pick<TestContext, 'skip'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[] | undefined> {
  const servers = parseBootstrapList(env.HERALD_TEST_KAFKA_CLUSTER || DEFAULT_KAFKA_CLUSTER);
  return gate(t, env, servers, 'cluster', 'npm run kafka:cluster', 'HERALD_TEST_KAFKA_CLUSTER');
}

async function gate(
  t: Pick<TestContext, 'skip'>,
  env: NodeJS.ProcessEnv,
  servers: string[],
  what: string,
  startCommand: string,
  override: string,
): Promise<string[] | undefined> {
  const silent = await silentBrokers(servers);
  if (silent.length === 0) return servers;
  const message = `no Kafka ${what} broker answers at ${silent.join(',')}: run ${startCommand} (or set ${override})`;
  if (env.HERALD_REQUIRE_KAFKA === '1') throw new Error(`${message}; HERALD_REQUIRE_KAFKA=1 makes this a failure`);
  t.skip(message);
  return undefined;
}

import { kafkaBootstrap } from '../../broker/from-config.ts';
import { createBroker } from '../../broker/index.ts';
import type { Io, Parsed } from '../command.ts';
import { UsageError } from '../command.ts';
import { brokerTarget } from './broker-target.ts';
import { httpTarget } from './http-target.ts';
import type { AdminTarget } from './target.ts';

/** Flags choosing what a client command talks to. */
export const targetOptions = {
  server: { type: 'string' },
  broker: { type: 'string' },
  token: { type: 'string' },
} as const;

export const TARGET_HELP = [
  '  --server URL          a running Herald (default http://127.0.0.1:$HERALD_HTTP__PORT or :8080)',
  '  --broker kafka://H:P  talk to a Kafka cluster directly instead',
  '  --token TOKEN         admin bearer token (default $HERALD_HTTP__ADMIN_TOKEN)',
];

/** The target the flags name: `--broker kafka://…` directly, otherwise a running server's admin API. */
export async function connect(values: Parsed['values'], io: Io): Promise<AdminTarget> {
  const broker = values.broker as string | undefined;
  if (broker !== undefined) {
    if (!/^kafka:\/\/\S+$/.test(broker))
      throw new UsageError(`--broker must be kafka://host:port[,host:port…], not '${broker}'`);
    return brokerTarget(
      await createBroker({ kind: 'kafka', bootstrap: kafkaBootstrap(broker), clientId: 'herald-cli' }),
    );
  }
  const server = (values.server as string | undefined) ?? `http://127.0.0.1:${io.env.HERALD_HTTP__PORT ?? 8080}`;
  return httpTarget(
    server.replace(/\/$/, ''),
    (values.token as string | undefined) ?? io.env.HERALD_HTTP__ADMIN_TOKEN ?? '',
  );
}

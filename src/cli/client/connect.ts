import type { AdminApi } from '../../admin/api.ts';
import { BrokerAdminApi } from '../../admin/broker-admin.ts';
import { createBroker } from '../../broker/create.ts';
import { kafkaBootstrap } from '../../platform/broker-from-config.ts';
import type { Io, Parsed } from '../command.ts';
import { UsageError } from '../command.ts';
import { httpAdminApi } from './http-admin.ts';

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

/**
 * The admin API the flags name: `--broker kafka://…` directly (the embedded broker is owned by its server, so
 * use the server), otherwise a running server's `/admin` routes.
 */
export async function connect(values: Parsed['values'], io: Io): Promise<AdminApi> {
  const broker = values.broker as string | undefined;
  if (broker !== undefined) {
    if (!/^kafka:\/\/\S+$/.test(broker))
      throw new UsageError(`--broker must be kafka://host:port[,host:port…], not '${broker}'`);
    const kafka = await createBroker({ kind: 'kafka', bootstrap: kafkaBootstrap(broker), clientId: 'herald-cli' });
    await kafka.start();
    return new BrokerAdminApi(kafka, { stopBroker: true });
  }
  const server = (values.server as string | undefined) ?? `http://127.0.0.1:${io.env.HERALD_HTTP__PORT ?? 8080}`;
  return httpAdminApi(
    server.replace(/\/$/, ''),
    (values.token as string | undefined) ?? io.env.HERALD_HTTP__ADMIN_TOKEN ?? '',
  );
}

import { createServer } from 'node:net';
import { KafkaSetupError } from './errors.ts';
import type { NodeSpec } from './topology.ts';

/**
 * Whether `host:port` can be bound right now, found by binding it and letting go. A bind test, unlike a connect
 * test, also catches a listener on 0.0.0.0 and one that accepts but never answers.
 */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** How long a taken port may take to come free: an outgoing connection can hold it briefly as its local port. */
const PORT_GRACE_MS = 5_000;

async function becomesFree(host: string, port: number): Promise<boolean> {
  const deadline = Date.now() + PORT_GRACE_MS;
  while (!(await isPortFree(host, port))) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return true;
}

/**
 * Checks that the broker and controller ports of every node can be bound (waiting briefly for each).
 * @throws KafkaSetupError `KAFKA_PORT_TAKEN` naming the first taken port and its role.
 */
export async function requireFreePorts(nodes: readonly NodeSpec[]): Promise<void> {
  for (const node of nodes) {
    for (const [role, port] of [
      ['broker', node.brokerPort],
      ['controller', node.controllerPort],
    ] as const) {
      if (!(await becomesFree(node.host, port))) {
        throw new KafkaSetupError(
          'KAFKA_PORT_TAKEN',
          `port ${node.host}:${port} (node ${node.id} ${role}) is taken by another process that is not a broker ` +
            'started by these scripts; stop it or free the port',
        );
      }
    }
  }
}

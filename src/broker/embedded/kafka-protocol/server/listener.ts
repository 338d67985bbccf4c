import net from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { HeraldError } from '../../../../errors.ts';
import { ClassicGroups } from '../groups/classic-groups.ts';
import { ProducerStates } from '../records/producer-states.ts';
import { TransactionCoordinator } from '../transactions/transaction-coordinator.ts';
import { Connection } from './connection.ts';
import type { ListenerContext } from './context.ts';
import type { ResolvedListenerOptions } from './options.ts';

/** What the listener needs from the broker: the context minus what the listener itself provides. */
export type BrokerAccess = Omit<
  ListenerContext,
  'groups' | 'producers' | 'transactions' | 'options' | 'advertised' | 'stopping' | 'logger'
>;

/** How often idle producer and transactional ids are forgotten. */
const EXPIRY_INTERVAL_MS = 60_000;

/**
 * The embedded broker's Kafka listener: a TCP server speaking the Kafka protocol over the broker's log, groups
 * and committed offsets. `start()` binds (see {@link ResolvedListenerOptions.mode} for a taken port), `stop()`
 * stops accepting, answers every waiting group request, ends long polls, closes every connection and aborts the
 * transactions left open.
 */
export class KafkaListener {
  readonly #options: ResolvedListenerOptions;
  readonly #logger: Logger | undefined;
  readonly #access: BrokerAccess;
  readonly #connections = new Set<Connection>();
  readonly #groups: ClassicGroups;
  readonly #producers = new ProducerStates();
  readonly #transactions: TransactionCoordinator;
  #server: net.Server | null = null;
  #bound: { host: string; port: number } | null = null;
  #abort = new AbortController();
  #expiry: NodeJS.Timeout | null = null;

  constructor(access: BrokerAccess, options: ResolvedListenerOptions, logger?: Logger) {
    this.#access = access;
    this.#options = options;
    this.#logger = logger?.child({ component: 'kafka-listener' });
    this.#groups = new ClassicGroups({ initialRebalanceDelayMs: options.initialRebalanceDelayMs, logger: this.#logger });
    this.#transactions = new TransactionCoordinator(access.writer, this.#producers, this.#logger);
  }

  /** Where clients connect (and what Metadata advertises), once started; `null` when not listening. */
  address(): { host: string; port: number } | null {
    if (this.#bound === null) return null;
    return { host: this.#options.advertisedHost ?? this.#bound.host, port: this.#bound.port };
  }

  /** Kafka-protocol groups, for the broker's group views and its own consumers' conflict check. */
  get groups(): ClassicGroups {
    return this.#groups;
  }

  /**
   * Binds. In `auto` mode a taken port is one log line and no listener; in `explicit` mode it is a
   * `HERALD_CONFIG_INVALID` error naming the address.
   */
  async start(): Promise<void> {
    if (this.#options.mode === 'off' || this.#server !== null) return;
    this.#abort = new AbortController();
    const context = this.#context();
    const server = net.createServer((socket) => {
      const connection = new Connection(socket, context, (c) => this.#connections.delete(c));
      this.#connections.add(connection);
    });
    const { host, port, mode } = this.#options;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (mode === 'auto' && code === 'EADDRINUSE') {
        this.#logger?.info(
          { address: `${host}:${port}` },
          `kafka listener: ${host}:${port} is taken (a Kafka broker?); running without the Kafka listener`,
        );
        return;
      }
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        `kafka listener: cannot listen on ${host}:${port} (${code ?? (err as Error).message})`,
        { cause: err, details: { field: 'broker.kafkaListener.listen', value: `${host}:${port}` } },
      );
    }
    server.on('error', (err) => this.#logger?.error({ err }, 'kafka listener: server error'));
    const address = server.address() as net.AddressInfo;
    const wildcard = address.address === '0.0.0.0' || address.address === '::';
    this.#bound = { host: wildcard ? hostname() : host, port: address.port };
    this.#server = server;
    this.#expiry = setInterval(() => {
      this.#producers.expire();
      this.#transactions.expire();
    }, EXPIRY_INTERVAL_MS);
    this.#expiry.unref();
    this.#logger?.info(
      { listen: `${address.address}:${address.port}`, advertised: this.address(), sasl: this.#options.sasl !== null },
      'kafka listener started',
    );
  }

  #context(): ListenerContext {
    return {
      ...this.#access,
      groups: this.#groups,
      producers: this.#producers,
      transactions: this.#transactions,
      options: this.#options,
      advertised: () => this.address() ?? { host: this.#options.host, port: this.#options.port },
      logger: this.#logger,
      stopping: this.#abort.signal,
    };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    this.#bound = null;
    if (this.#expiry !== null) clearInterval(this.#expiry);
    this.#abort.abort();
    this.#groups.shutdown();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of this.#connections) connection.destroy();
    this.#connections.clear();
    await this.#transactions.close();
    await closed;
    this.#logger?.info('kafka listener stopped');
  }
}

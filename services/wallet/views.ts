/**
 * The API's views of the three tables, and read-your-writes: the API remembers, per wallet, the position of the
 * last deposit it appended (a bounded map); a check of that wallet first waits — at most `waitMs` — until the
 * balance and threshold views applied a change made by that deposit (every changelog record names the input record
 * that produced it, see `View.waitForSource`). Both groups write their table for every deposit, so the wait ends
 * as soon as the deposit is visible. A check served by another API process than the deposit does not wait.
 */
import type { Component, TopicDeclaration } from '#herald';
import type { Broker } from '#herald/broker';
import { LruCache } from '#herald/kit';
import type { Logger, Metrics, ServiceContext } from '#herald';
import { type Balance, groupTable, type ThresholdState, View, type WalletFlag } from './herald.ts';
import { balanceCodec, thresholdCodec, walletFlagCodec, type WalletNames } from './topics.ts';

/** Wallets whose last deposit position is remembered; the oldest is forgotten first (long applied by then). */
const REMEMBERED = 100_000;

export interface WalletState {
  balanceMinor: bigint;
  aboveThreshold: boolean;
}

export interface DepositPosition {
  topic: string;
  partition: number;
  offset: number;
}

export interface WalletViewsOptions {
  broker: Broker;
  names: WalletNames;
  waitMs: number;
  /** What the balance and flag views read of partitions whose processors run in this process (see `ViewOptions`). */
  isolation?: 'read_committed' | 'read_uncommitted';
  logger?: Logger;
  metrics?: Metrics;
  registry?: ServiceContext['processors'];
}

export class WalletViews implements Component {
  readonly name = 'wallet-views';
  readonly #balance: View<Balance>;
  readonly #threshold: View<ThresholdState>;
  readonly #flags: View<WalletFlag>;
  readonly #waitMs: number;
  /** Least recently deposited forgotten first: O(1), where evicting through a `Map`'s order was a scan (kit/lru). */
  readonly #last = new LruCache<string, DepositPosition>(REMEMBERED);

  constructor(options: WalletViewsOptions) {
    const { broker, names, logger, registry } = options;
    const common = { broker, logger, registry, metrics: options.metrics, isolation: options.isolation };
    this.#balance = new View({ ...common, table: groupTable(names.balance), codec: balanceCodec });
    this.#threshold = new View({ ...common, table: groupTable(names.threshold), codec: thresholdCodec });
    this.#flags = new View({ ...common, table: groupTable(names.flagger), codec: walletFlagCodec });
    this.#waitMs = options.waitMs;
  }

  async start(): Promise<void> {
    await Promise.all([this.#balance.start(), this.#threshold.start(), this.#flags.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.#balance.stop(), this.#threshold.stop(), this.#flags.stop()]);
  }

  topology(): TopicDeclaration[] {
    return [...this.#balance.topology(), ...this.#threshold.topology(), ...this.#flags.topology()];
  }

  /** Remembers the position of a deposit this process appended, for the next check of its wallet. */
  deposited(walletId: string, position: DepositPosition): void {
    this.#last.set(walletId, position);
  }

  /**
   * The wallet's balance and flag, after waiting (at most `waitMs`) for this process's last deposit to it. The
   * flag is the threshold table's (same hop as the balance) or the flagger's, whichever says true.
   */
  async read(walletId: string): Promise<WalletState> {
    const position = this.#last.peek(walletId);
    if (position !== undefined) {
      const [balance, threshold] = await Promise.all([
        this.#balance.waitForSource(position, this.#waitMs),
        this.#threshold.waitForSource(position, this.#waitMs),
      ]);
      if (balance.reached && threshold.reached && this.#last.peek(walletId) === position) this.#last.delete(walletId);
    }
    return {
      balanceMinor: this.#balance.get(walletId)?.balance ?? 0n,
      aboveThreshold: (this.#threshold.get(walletId)?.aboveThreshold ?? false) || (this.#flags.get(walletId)?.flagged ?? false),
    };
  }
}

/**
 * wallet — deposits, balances and a permanent above-threshold flag by event time (the seed's Goka wallet): an API
 * (emitter + views) and the processor groups `balance`, `threshold` and `flagger` over the streams `deposit` and
 * `flag_wallet`, protobuf on the wire. `wallet.role` picks what one process runs, so each part can run alone.
 */
import { join } from 'node:path';
import { type Component, HeraldError, type ServiceContext, type ServiceDefinition } from '#herald';
import { registerWalletRoutes } from './api.ts';
import { configSchema, type WalletConfig } from './config.ts';
import { anchored, type Deposit, Emitter, Processor, type Topology } from './herald.ts';
import { balanceGroup, flaggerGroup, thresholdGroup } from './processors.ts';
import type { ThresholdRule } from './rule.ts';
import { depositCodec, flagWalletCodec, walletNames, walletTopics } from './topics.ts';
import { WalletViews } from './views.ts';

export { configSchema } from './config.ts';

export const walletService: ServiceDefinition<WalletConfig> = {
  name: 'wallet',
  summary: 'wallet: POST /api/deposit, GET /api/check/{id}; processors balance, threshold, flagger',
  configSchema,
  topology: (config) => walletTopics(walletNames(config.prefix), config.partitions),
  create(context) {
    const { role } = context.config;
    const components: Component[] = [];
    const runs = (group: 'balance' | 'threshold' | 'flagger') => role === 'all' || role === 'processors' || role === group;
    const names = walletNames(context.config.prefix);
    if (runs('balance')) components.push(processor(context, balanceGroup(names)));
    if (runs('threshold')) components.push(processor(context, thresholdGroup(names, thresholdRule(context.config))));
    if (runs('flagger')) components.push(processor(context, flaggerGroup(names)));
    if (role === 'all' || role === 'api') components.push(...api(context));
    return components;
  },
};

/** The rule of the config: currency units to minor units. */
export function thresholdRule(config: WalletConfig): ThresholdRule {
  return {
    windows: anchored({ sizeMs: config.windowMs, graceMs: config.graceMs }),
    thresholdMinor: BigInt(config.threshold) * 100n,
  };
}

/**
 * Spacing of the processors' transactions when the check reads them uncommitted in their process, where a commit
 * soon buys the check nothing — as Kafka Streams' default commit interval under exactly-once. On the local Kafka
 * node, 40 ms against the broker's spacing by load (20 ms, in full only when saturated), nine alternating pairs:
 * medians 10,889 against 9,649 deposits/s and a deposit → visible p50 at 5,000/s of 7.5 against 9.2 ms. 100 ms
 * once a saturated processor no longer waits for a commit (`SATURATED_WAIT_MS`) against 40 ms, nine pairs: medians
 * 10,274 against 10,174 deposits/s, p50 9.4 against 10.0 ms, p99 36 against 47 ms (BENCHMARKS.md, wallet,
 * 2026-12-06 07:20–08:35).
 */
export const UNCOMMITTED_READ_COMMIT_INTERVAL_MS = 100;

/**
 * The processors' `commitIntervalMs`: {@link UNCOMMITTED_READ_COMMIT_INTERVAL_MS} when the check reads them
 * uncommitted in their process; else the broker's spacing by load, so that checks reading committed see a deposit
 * soon.
 */
export function processorCommitIntervalMs(config: WalletConfig): number | undefined {
  return config.role === 'all' && config.checkIsolation === 'read_uncommitted' ? UNCOMMITTED_READ_COMMIT_INTERVAL_MS : undefined;
}

function processor<V, O, L>(context: ServiceContext<WalletConfig>, topology: Topology<V, O, L>): Processor<V, O, L> {
  const { broker, logger, metrics, processors, platform } = context;
  return new Processor(topology, {
    broker,
    logger: logger.child({ group: topology.group }),
    dataDir: join(platform.dataDir, 'wallet'),
    metrics,
    registry: processors,
    sessionTimeoutMs: context.config.sessionTimeoutMs,
    guarantee: context.config.guarantee,
    commitIntervalMs: processorCommitIntervalMs(context.config),
  });
}

/** The views (started first: the routes read them) and the emitter, the routes now. */
function api(context: ServiceContext<WalletConfig>): Component[] {
  const { broker, config, app, logger, metrics, processors } = context;
  const names = walletNames(config.prefix);
  const views = new WalletViews({
    broker,
    names,
    waitMs: config.checkWaitMs,
    isolation: config.checkIsolation,
    logger,
    metrics,
    registry: processors,
  });
  // The streams' codecs, so that tools showing records (the console) decode them in a process without processors.
  processors.declareCodec(names.deposit, depositCodec);
  processors.declareCodec(names.flagWallet, flagWalletCodec);
  let emitter: Emitter<Deposit> | undefined;
  let close: (() => Promise<void>) | undefined;
  registerWalletRoutes(app, {
    views,
    emitter: () => {
      if (emitter === undefined) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the wallet API is not running');
      return emitter;
    },
  });
  const emitterComponent: Component = {
    name: 'wallet-emitter',
    start: async () => {
      const producer = broker.producer();
      emitter = new Emitter(producer, names.deposit, depositCodec);
      close = () => producer.close();
    },
    stop: async () => {
      emitter = undefined;
      await close?.();
    },
  };
  return [views, emitterComponent];
}

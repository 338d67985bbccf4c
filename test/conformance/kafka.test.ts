import { kafkaSingle } from '../support/kafka.ts';
import { conformance } from './suite.ts';

conformance('kafka', {
  async spec(t) {
    const bootstrap = await kafkaSingle(t);
    return bootstrap === undefined ? undefined : { kind: 'kafka', bootstrap };
  },
  features: {
    // Topics are created with CreateTime, the Kafka default: the producer's timestamp is kept.
    exactTimestamps: true,
    // The log cleaner runs on its own schedule and never compacts the active segment.
    compaction: null,
    // Retention runs every log.retention.check.interval.ms and deletes whole closed segments only.
    retention: null,
    crashRestart: 'remote',
    // The smallest session timeout a default broker accepts (group.min.session.timeout.ms).
    crashSessionTimeoutMs: 6_000,
    // Nothing listens on port 1.
    noTransactions: null,
    unreachableSpec: () => ({ kind: 'kafka', bootstrap: ['127.0.0.1:1'] }),
    // Group joins wait group.initial.rebalance.delay.ms (3 s by default) and rebalances a heartbeat or more.
    timeoutMs: 60_000,
  },
});

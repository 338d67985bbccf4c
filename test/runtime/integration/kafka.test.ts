import { kafkaSingle } from '../../support/kafka.ts';
import { runtimeSuite } from './suite.ts';

runtimeSuite('kafka', {
  async spec(t) {
    const bootstrap = await kafkaSingle(t);
    return bootstrap === undefined ? undefined : { kind: 'kafka', bootstrap };
  },
  // The smallest session timeout a default broker accepts (group.min.session.timeout.ms).
  crashSessionTimeoutMs: 6_000,
  // Group joins wait group.initial.rebalance.delay.ms (3 s by default); a killed member holds its partitions for a
  // session timeout.
  timeoutMs: 60_000,
});

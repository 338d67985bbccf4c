/**
 * Consumer options for Kafka: the port's checked options plus the group timings derived from the session timeout.
 */
import type { ConsumerOptions } from '../port.ts';
import { resolveConsumerOptions as resolvePortOptions, type ResolvedConsumerOptions as PortOptions } from '../rules.ts';

/** Consumer options after validation, with every default applied. */
export interface ResolvedConsumerOptions extends PortOptions {
  /** How often the member tells the coordinator it is alive: a third of the session, at most 3 s. */
  heartbeatIntervalMs: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (and for `onRevoked`). */
  rebalanceTimeoutMs: number;
}

/** @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the offending field. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const resolved = resolvePortOptions(options);
  return {
    ...resolved,
    heartbeatIntervalMs: Math.max(100, Math.min(3_000, Math.floor(resolved.sessionTimeoutMs / 3))),
    rebalanceTimeoutMs: Math.max(resolved.sessionTimeoutMs, 30_000),
  };
}

/**
 * The `wallet` config section. The defaults are the assignment's: a threshold of 10,000 within 2-minute windows,
 * topics `deposit` and `flag_wallet`, groups `balance`, `threshold` and `flagger`, everything in one process.
 */
import { type ConfigOf, integer, oneOf, string } from '#herald';

/** What one process runs: the HTTP API (emitter and views), one processor group, all three groups, or everything. */
export const ROLES = ['all', 'api', 'processors', 'balance', 'threshold', 'flagger'] as const;
export type Role = (typeof ROLES)[number];

export const configSchema = {
  role: oneOf('all', 'the part this process runs: all, api, processors (the three groups), balance, threshold or flagger', ROLES),
  prefix: string(
    '',
    'prepended to every topic and group name (several wallet deployments on one Kafka)',
    /^[a-zA-Z0-9._-]{0,100}$/,
    'letters, digits, ".", "_" or "-", at most 100',
  ),
  partitions: integer(4, 'partitions of deposit and flag_wallet when Herald creates them', 1, 1_000),
  threshold: integer(10_000, 'a wallet is flagged once a window holds deposits totalling more than this (currency units)', 0, 1e12),
  windowMs: integer(120_000, 'length of a deposit window in event time (it opens at its first deposit)', 1, 86_400_000 * 365),
  graceMs: integer(5_000, 'how late (behind the newest deposit of its partition) a deposit may arrive and still count in its window', 0, 86_400_000),
  sessionTimeoutMs: integer(10_000, 'a processor instance that stops answering for this long loses its partitions to the others', 1_000, 300_000),
  guarantee: oneOf(
    'exactly-once',
    'exactly-once: a deposit counts once even when a processor is killed; at-least-once may count it twice',
    ['exactly-once', 'at-least-once'],
  ),
  checkIsolation: oneOf(
    'read_uncommitted',
    'what a check reads of the wallets whose processors run in its process: read_uncommitted shows a deposit once processed, read_committed once its transaction committed',
    ['read_uncommitted', 'read_committed'],
  ),
  checkWaitMs: integer(1_000, 'longest wait of GET /api/check for this process\'s last deposit to a wallet to reach the views', 0, 60_000),
};

export type WalletConfig = ConfigOf<typeof configSchema>;

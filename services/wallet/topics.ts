/** The wallet's streams, groups and tables, and the protobuf codecs of what they carry. */
import { creates, createsLike, type TopicDeclaration } from '#herald';
import {
  BalanceSchema,
  DepositSchema,
  FlagWalletSchema,
  groupTable,
  protobufCodec,
  ThresholdStateSchema,
  WalletFlagSchema,
} from './herald.ts';

export const depositCodec = protobufCodec(DepositSchema);
export const flagWalletCodec = protobufCodec(FlagWalletSchema);
export const balanceCodec = protobufCodec(BalanceSchema);
export const thresholdCodec = protobufCodec(ThresholdStateSchema);
export const walletFlagCodec = protobufCodec(WalletFlagSchema);

/** Topic and group names of one deployment (`prefix` + the seed's names). */
export interface WalletNames {
  deposit: string;
  flagWallet: string;
  balance: string;
  threshold: string;
  flagger: string;
}

export function walletNames(prefix: string): WalletNames {
  return {
    deposit: `${prefix}deposit`,
    flagWallet: `${prefix}flag_wallet`,
    balance: `${prefix}balance`,
    threshold: `${prefix}threshold`,
    flagger: `${prefix}flagger`,
  };
}

/**
 * The streams (created with `partitions`) and the three tables (created partitioned like `deposit`, as their
 * processors create them), so that an API process started alone finds the tables its views read.
 */
export function walletTopics(names: WalletNames, partitions: number): TopicDeclaration[] {
  const owner = 'wallet';
  return [
    creates(owner, 'input', { name: names.deposit, partitions }),
    creates(owner, 'input', { name: names.flagWallet, partitions }),
    ...[names.balance, names.threshold, names.flagger].map((group) =>
      createsLike(owner, 'changelog', names.deposit, { name: groupTable(group), compacted: true }),
    ),
  ];
}

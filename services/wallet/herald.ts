/**
 * Every import the wallet service makes of Herald's processor layer and of its generated protobuf messages, in one
 * file: the processor layer has no package entry point yet, so these are the one place that reaches into the
 * tree, and the switch to `#herald/processor` is a change of this file only.
 */
/* eslint-disable no-restricted-imports */
export {
  addToAnchored,
  type AnchoredWindows,
  anchored,
  type Context,
  defineGroup,
  groupTable,
  Processor,
  type Topology,
  View,
  type Window,
  type WindowClock,
} from '../../src/processor/index.ts';
export { protobufCodec } from '../../src/codec/protobuf.ts';
export { Emitter } from '../../src/runtime/emitter.ts';
export {
  type Balance,
  BalanceSchema,
  type Deposit,
  DepositSchema,
  type FlagWallet,
  FlagWalletSchema,
  type ThresholdState,
  ThresholdStateSchema,
  type WalletFlag,
  WalletFlagSchema,
} from '../../src/gen/herald/wallet/v1/wallet_pb.ts';
export { create } from '@bufbuild/protobuf';

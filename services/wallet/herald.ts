/**
 * Every import the wallet service makes of Herald's processor layer and of its generated protobuf messages, in one
 * file. The messages are generated from `proto/herald/wallet/v1/wallet.proto` into `src/gen` by `npm run proto`
 * (with every other schema of the repository), which is no entry point of Herald: this is the one place that
 * reaches it.
 */
export {
  addToAnchored,
  type AnchoredWindows,
  anchored,
  type Context,
  defineGroup,
  Emitter,
  groupTable,
  Processor,
  protobufCodec,
  type Topology,
  View,
  type Window,
  type WindowClock,
} from '#herald/processor';
// eslint-disable-next-line no-restricted-imports -- generated code, no entry point (see above)
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

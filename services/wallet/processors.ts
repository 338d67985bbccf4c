/**
 * The seed's three processor groups: `balance` sums deposits per wallet, `threshold` applies the window rule and
 * emits to `flag_wallet` when a wallet crosses it, `flagger` keeps the flag per wallet from `flag_wallet`.
 */
import { create, defineGroup, BalanceSchema, FlagWalletSchema, WalletFlagSchema } from './herald.ts';
import { applyDeposit, type ThresholdRule } from './rule.ts';
import { balanceCodec, depositCodec, flagWalletCodec, thresholdCodec, walletFlagCodec, type WalletNames } from './topics.ts';

export function balanceGroup(names: WalletNames) {
  return defineGroup(names.balance)
    .persist(balanceCodec)
    .input(names.deposit, depositCodec, (ctx, deposit) => {
      if (deposit === null) return;
      const balance = ctx.get()?.balance ?? 0n;
      ctx.set(create(BalanceSchema, { walletId: ctx.key, balance: balance + deposit.amount }));
    })
    .build();
}

/** Writes its table for every deposit (late ones too), so a view of it can wait for any deposit's position. */
export function thresholdGroup(names: WalletNames, rule: ThresholdRule) {
  return defineGroup(names.threshold)
    .persist(thresholdCodec)
    .output(names.flagWallet, flagWalletCodec)
    .input(names.deposit, depositCodec, (ctx, deposit) => {
      if (deposit === null) return;
      const outcome = applyDeposit(rule, ctx, ctx.get(), deposit.amount);
      ctx.set(outcome.state);
      if (outcome.crossed) {
        ctx.emit(names.flagWallet, ctx.key, create(FlagWalletSchema, { walletId: ctx.key, flagged: true }));
      }
    })
    .build();
}

export function flaggerGroup(names: WalletNames) {
  return defineGroup(names.flagger)
    .persist(walletFlagCodec)
    .input(names.flagWallet, flagWalletCodec, (ctx, flag) => {
      if (flag === null) return;
      ctx.set(create(WalletFlagSchema, { flagged: flag.flagged }));
    })
    .build();
}

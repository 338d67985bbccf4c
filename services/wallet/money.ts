/**
 * Money as integer minor units (hundredths): `bigint` inside, so sums never drift; a JSON number with at most two
 * decimals at the edges. 0.1 + 0.2 deposits are 10n + 20n = 30n, shown as 0.3.
 */

/** Largest deposit accepted, in currency units: its minor units stay well inside a double's exact integers. */
export const MAX_AMOUNT = 1_000_000_000_000;

const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/;

/** The minor units of a JSON amount, or why it is not one: a finite number > 0 with at most two decimals. */
export function toMinorUnits(amount: unknown): { minor: bigint } | { problem: string } {
  if (amount === undefined || amount === null) return { problem: 'amount is required' };
  if (typeof amount !== 'number') return { problem: 'amount must be a number' };
  if (!Number.isFinite(amount)) return { problem: 'amount must be a finite number' };
  if (amount <= 0) return { problem: 'amount must be greater than 0' };
  if (amount > MAX_AMOUNT) return { problem: `amount must be at most ${MAX_AMOUNT}` };
  // The shortest decimal that reads back as this double: what the client wrote (1e-7 and such fail the pattern).
  const match = DECIMAL.exec(String(amount));
  if (match === null) return { problem: 'amount must have at most 2 decimal places' };
  const cents = (match[2] ?? '').padEnd(2, '0');
  return { minor: BigInt(match[1]) * 100n + BigInt(cents) };
}

/** Minor units as a JSON number of currency units (exact up to 2^53 minor units: 90 trillion). */
export function fromMinorUnits(minor: bigint): number {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return Number(`${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`);
}

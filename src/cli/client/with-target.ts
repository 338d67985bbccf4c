import { type Io, type Parsed, UsageError } from '../command.ts';
import { connect } from './connect.ts';
import type { AdminApi } from '../../admin/api.ts';

/** Connects, runs `work`, always closes. */
export async function withTarget(
  parsed: Parsed,
  io: Io,
  work: (target: AdminApi) => Promise<number>,
): Promise<number> {
  const target = await connect(parsed.values, io);
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}

/** An integer flag of at least `min` (default 0), or the default; anything else is a usage error. */
export function intFlag(values: Parsed['values'], name: string, fallback?: number, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    const what = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw new UsageError(`--${name} must be ${what}, not '${String(raw)}'`);
  }
  return Number(raw);
}

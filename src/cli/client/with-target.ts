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

/** Prints a value as one JSON line. */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A non-negative integer flag, or the default; anything else is a usage error. */
export function intFlag(values: Parsed['values'], name: string, fallback?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw))
    throw new UsageError(`--${name} must be a non-negative integer, not '${String(raw)}'`);
  return Number(raw);
}

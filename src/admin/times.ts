import { HeraldError } from '../errors.ts';

/**
 * A time as operators give it (a query, a body, a flag): epoch milliseconds (a number or digits) or an ISO 8601
 * string. `undefined` stays undefined.
 * @throws HeraldError `HERALD_VALIDATION_FAILED` naming `field` for anything else.
 */
export function parseTime(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${field} must be epoch milliseconds or an ISO 8601 time`, {
      details: [{ field, message: 'is not a time' }],
    });
  }
  return ms;
}

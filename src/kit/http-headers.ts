/**
 * What HTTP headers can carry, checked where a value becomes a header — before it is accepted, not when `fetch` or
 * undici refuse it on every later attempt.
 */

/** A header name: an RFC 9110 token. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A header value that arrives unchanged, as a JSON-schema pattern: printable ASCII with no control characters (CR,
 * LF, NUL), nothing beyond ASCII (an emoji), and no spaces at either end (clients trim them). Not empty.
 */
export const HEADER_VALUE_PATTERN = '^[\\x21-\\x7e](?:[\\x20-\\x7e]*[\\x21-\\x7e])?$';

const HEADER_VALUE = new RegExp(HEADER_VALUE_PATTERN);

/** Whether `value` can be sent as a header value unchanged (see {@link HEADER_VALUE_PATTERN}). */
export function isHeaderValue(value: unknown): value is string {
  return typeof value === 'string' && HEADER_VALUE.test(value);
}

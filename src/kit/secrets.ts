/**
 * The one place that decides what is a secret and hides it — used by configuration errors, logs, the admin API and
 * status answers, so that a password, token, API key or auth header shows as `***` wherever it would be printed.
 */

/** What a masked value shows instead. */
export const MASK = '***';

/**
 * Names (config keys, object keys, header names) whose values are secrets: passwords, secrets, tokens, API keys,
 * credentials, private keys, cookies and authorization headers.
 */
const SECRET_NAME =
  /pass(?:word|wd|phrase)?$|^pwd$|secret|token|api[-_.]?key|authori[sz]ation|^auth$|credential|private[-_.]?key|cookie/i;

/** `scheme://user:password@` — the password part. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;
/** `?token=…`, `&password=…` in a URL's query. */
const QUERY_SECRET = /([?&][^=&#\s]*(?:pass(?:word|wd)?|secret|token|api[-_.]?key|auth)[^=&#\s]*=)[^&#\s]+/gi;
/** `Bearer …` / `Basic …` credentials written out in text. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/g;

/** Objects nested deeper than this are not walked (log objects are shallow; a deeper one is no config). */
const MAX_DEPTH = 12;

/**
 * Answers of {@link isSecretName} by name. Every log line is masked, and its keys are nearly always the same few
 * (`req`, `method`, `url`, …): masking was a quarter of the cost of an access-log line, mostly this pattern and the
 * entry arrays of `Object.entries` (with the timestamp made once a millisecond, logger.ts, a line went from 4.4 to
 * 2.7 µs of CPU, pino writing to /dev/null). Bounded, since keys can come from data.
 */
const secretNames = new Map<string, boolean>();
const MAX_CACHED_NAMES = 2_000;

/** Whether a value under `name` is a secret. */
export function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name);
    if (secretNames.size < MAX_CACHED_NAMES) secretNames.set(name, secret);
  }
  return secret;
}

/** `text` with URL passwords, secret query parameters and written-out bearer/basic credentials masked. */
export function maskText(text: string): string {
  if (!text.includes('://') && !text.includes('=') && !text.includes('Bearer') && !text.includes('Basic')) return text;
  return text
    .replace(URL_PASSWORD, `$1${MASK}@`)
    .replace(QUERY_SECRET, `$1${MASK}`)
    .replace(AUTH_SCHEME, `$1 ${MASK}`);
}

/**
 * `value` with every secret masked: values under secret-bearing names (see {@link isSecretName}) become `***`
 * whatever their type, and strings have their URL passwords and secret query parameters masked. Plain objects and
 * arrays are copied only where something changes; other objects (errors, buffers, dates) are returned as they are.
 */
export function maskSecrets<T>(value: T): T {
  return mask(value, 0) as T;
}

function mask(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const masked = mask(item, depth + 1);
      if (masked !== item) (copy ??= [...value])[i] = masked;
    });
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const masked = isSecretName(key) && item !== undefined && item !== null && item !== '' ? MASK : mask(item, depth + 1);
    if (masked !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = masked;
  }
  return copy ?? value;
}

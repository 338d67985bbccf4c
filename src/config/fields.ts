/**
 * Typed config fields: each leaf of the schema knows its default, how to read a value from a file (already typed)
 * or from a string (environment, command line), and how to describe what it expects when a value is wrong.
 */

/** A value that failed to parse: what was expected, in words. */
export interface Rejection {
  expected: string;
}

export interface Field<T> {
  readonly kind: 'field';
  readonly default: T;
  /** One line for `--help` and the README's configuration reference. */
  readonly doc: string;
  /** Words describing a valid value, e.g. `an integer from 1 to 65535`. */
  readonly expected: string;
  /** Parses a value from a config file (typed JSON/YAML) or, with `fromText`, from env/flags text. */
  parse(raw: unknown, fromText: boolean): T | Rejection;
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'expected' in value && Object.keys(value).length === 1;
}

function field<T>(def: T, doc: string, expected: string, parse: (raw: unknown, fromText: boolean) => T | undefined) {
  const reject: Rejection = { expected };
  return {
    kind: 'field',
    default: def,
    doc,
    expected,
    parse: (raw: unknown, fromText: boolean) => parse(raw, fromText) ?? reject,
  } as const satisfies Field<T>;
}

export function integer(def: number, doc: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  const expected = `an integer from ${min} to ${max}`;
  return field<number>(def, doc, expected, (raw, fromText) => {
    const n = fromText && typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  });
}

export function number(def: number, doc: string, min = -Infinity, max = Infinity) {
  const expected = `a number from ${min} to ${max}`;
  return field<number>(def, doc, expected, (raw, fromText) => {
    const n = fromText && typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    return typeof n === 'number' && Number.isFinite(n) && n >= min && n <= max ? n : undefined;
  });
}

export function string(def: string, doc: string, pattern?: RegExp, expected = 'a string') {
  return field<string>(def, doc, expected, (raw) =>
    typeof raw === 'string' && (pattern === undefined || pattern.test(raw)) ? raw : undefined,
  );
}

export function boolean(def: boolean, doc: string) {
  return field<boolean>(def, doc, 'true or false', (raw, fromText) => {
    if (typeof raw === 'boolean') return raw;
    if (!fromText || typeof raw !== 'string') return undefined;
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return undefined;
  });
}

export function oneOf<const T extends string>(def: T, doc: string, values: readonly T[]) {
  return field<T>(def, doc, `one of ${values.join(', ')}`, (raw) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw) ? (raw as T) : undefined,
  );
}

/**
 * A structured value (a list of destinations, a map of subscriptions): given as JSON in env/flags, as-is in files,
 * and checked by `check`, which returns the value or `undefined` when it is not acceptable.
 */
export function json<T>(def: T, doc: string, expected: string, check: (raw: unknown) => T | undefined) {
  return field<T>(def, doc, expected, (raw, fromText) => {
    if (!fromText || typeof raw !== 'string') return check(raw);
    try {
      return check(JSON.parse(raw));
    } catch {
      return undefined;
    }
  });
}

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { HeraldError } from '../errors.ts';
import type { Codec } from './codec.ts';

/** One failed constraint: where in the value (`items.0.id`, empty for the root) and what is wrong. */
export interface FieldError {
  field: string;
  message: string;
}

export interface JsonCodecOptions {
  /** Name shown in errors, e.g. the message type. Default `json`. */
  name?: string;
  /** Compiles the schema; pass one to share formats or keywords. Default: `allErrors`, no coercion, no defaults. */
  ajv?: Ajv;
}

function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    return { field: [path, missing].filter(Boolean).join('.'), message: e.message ?? 'is invalid' };
  });
}

function describe(errors: FieldError[]): string {
  return errors.map((e) => (e.field ? `${e.field} ${e.message}` : e.message)).join('; ');
}

/**
 * JSON in UTF-8, checked against a JSON Schema (draft-07, compiled once by ajv) when one is given. Without a schema
 * any JSON value passes, typed as `T` on trust.
 *
 * `decode`: bytes that are not JSON, or JSON that fails the schema, throw `HERALD_DECODE_FAILED` with
 * `details: FieldError[]`. `encode`: a value failing the schema throws `HERALD_VALIDATION_FAILED` with the same
 * details, so nothing invalid is written.
 */
export function jsonCodec<T = unknown>(schema?: object, options: JsonCodecOptions = {}): Codec<T> {
  const name = options.name ?? 'json';
  let validate: ValidateFunction | undefined;
  if (schema !== undefined) {
    const ajv = options.ajv ?? new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
    validate = ajv.compile(schema);
  }
  return {
    name,
    encode(value: T): Buffer {
      if (validate !== undefined && !validate(value)) {
        const details = fieldErrors(validate.errors);
        throw new HeraldError(
          'HERALD_VALIDATION_FAILED',
          `${name}: value does not match its schema: ${describe(details)}`,
          {
            details,
          },
        );
      }
      const text = JSON.stringify(value);
      if (text === undefined) throw new HeraldError('HERALD_VALIDATION_FAILED', `${name}: value has no JSON form`);
      return Buffer.from(text, 'utf8');
    },
    decode(bytes: Buffer): T {
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new HeraldError('HERALD_DECODE_FAILED', `${name}: not JSON: ${(err as Error).message}`, { cause: err });
      }
      if (validate !== undefined && !validate(value)) {
        const details = fieldErrors(validate.errors);
        throw new HeraldError(
          'HERALD_DECODE_FAILED',
          `${name}: message does not match its schema: ${describe(details)}`,
          {
            details,
          },
        );
      }
      return value as T;
    },
  };
}

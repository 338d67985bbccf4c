import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: true, strict: false, useDefaults: true };

/**
 * Request validation: bodies are checked strictly (a string stays a string — an API that says `partition` is an
 * integer rejects `"1"`), while query strings, params and headers, which are text on the wire, are coerced.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...common, coerceTypes: false });
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}

import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../errors.ts';

/** Default of `http.maxJsonDepth`: far deeper than any API's documents, far shallower than a stack overflow. */
export const DEFAULT_MAX_JSON_DEPTH = 100;

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text nests objects and arrays deeper than `max`, found in one pass without parsing (brackets
 * inside strings do not count). Malformed text is left for the parser to refuse.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Nesting deeper than `max` takes more than `max` characters.
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/**
 * Replaces the app's JSON body parser with one that refuses documents nested deeper than `maxDepth` before
 * parsing them (400 `HERALD_VALIDATION_FAILED`): a deep enough document parses, but then overflows the stack of
 * whatever walks it recursively (validation, `JSON.stringify`) and would answer 500. Everything else is fastify's
 * own parser (empty bodies, prototype poisoning).
 */
export function limitJsonDepth(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string, maxDepth)) {
      done(
        new HeraldError('HERALD_VALIDATION_FAILED', `request body nests deeper than ${maxDepth} levels`, {
          details: [{ field: 'body', message: `must not nest objects and arrays deeper than ${maxDepth} levels` }],
        }),
        undefined,
      );
      return;
    }
    parse(request, body as string, done);
  });
}

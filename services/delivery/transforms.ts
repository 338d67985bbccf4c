import { HeraldError } from '#herald';
import type { DestinationConfig } from './config.ts';
import type { SourceEvent } from './event.ts';

/** What a transform makes of an event for one destination: the HTTP body and, optionally, its headers. */
export interface Transformed {
  /** Sent as-is; a string is UTF-8; anything else is serialised as JSON. */
  body: Buffer | string | unknown;
  /** Default `application/json`. */
  contentType?: string;
  /** Extra request headers for this event (the destination's configured headers still apply). */
  headers?: Record<string, string>;
}

/**
 * Turns a source event into what one destination receives, or `null` to skip the event there (it then counts as
 * delivered, with nothing sent). Must be pure and deterministic: after a crash an event may be transformed again,
 * and both results may be delivered. Throwing dead-letters the event for that destination only (it would fail
 * again on retry).
 */
export type Transform = (event: SourceEvent, destination: DestinationConfig) => Transformed | null;

/** The default: the event itself, `{"id", "userId", "payload", "receivedAt"}`, as JSON. */
export const defaultTransform: Transform = (event) => ({
  body: { id: event.id, userId: event.userId, payload: event.payload, receivedAt: event.receivedAt },
});

/** Transforms by name, as destinations refer to them (`transform: "…"`). */
export type TransformRegistry = Record<string, Transform>;

/** The registry with `default` added; `HERALD_CONFIG_INVALID` when a destination names a transform not in it. */
export function resolveTransforms(
  destinations: DestinationConfig[],
  custom: TransformRegistry = {},
): Map<string, Transform> {
  const registry: TransformRegistry = { default: defaultTransform, ...custom };
  const resolved = new Map<string, Transform>();
  for (const d of destinations) {
    const transform = Object.hasOwn(registry, d.transform) ? registry[d.transform] : undefined;
    if (transform === undefined) {
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        `delivery.destinations: ${d.id} names transform ${JSON.stringify(d.transform)}; ` +
          `known: ${Object.keys(registry).join(', ')}`,
      );
    }
    resolved.set(d.id, transform);
  }
  return resolved;
}

/** The body of a transform result as bytes, and its content type. */
export function encodeBody(result: Transformed): { body: Buffer; contentType: string } {
  const { body } = result;
  if (Buffer.isBuffer(body)) return { body, contentType: result.contentType ?? 'application/octet-stream' };
  if (typeof body === 'string')
    return { body: Buffer.from(body, 'utf8'), contentType: result.contentType ?? 'text/plain; charset=utf-8' };
  const text = JSON.stringify(body);
  if (text === undefined)
    throw new HeraldError('HERALD_VALIDATION_FAILED', 'transform produced a body with no JSON form');
  return { body: Buffer.from(text, 'utf8'), contentType: result.contentType ?? 'application/json' };
}

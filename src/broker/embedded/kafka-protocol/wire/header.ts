/**
 * Request and response headers. Request header v1 (api key, version, correlation id, client id) becomes v2 in
 * flexible versions (plus tagged fields); the response header is the correlation id, plus tagged fields in
 * flexible versions — except for ApiVersions, whose response header is always v0 so that a client that does not
 * yet know our versions can read it.
 */
import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

export const API_VERSIONS_KEY = 18;

export function readRequestHeader(r: Reader): RequestHeader {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** The rest of the header after the first three fields: the client id, then tagged fields when flexible. */
export function readClientId(r: Reader, flexible: boolean): string {
  // The client id keeps its classic int16 length even in flexible versions.
  const clientId = r.string(false) ?? '';
  if (flexible) skipTaggedFields(r);
  return clientId;
}

export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint(); // tag
    r.skip(r.uvarint());
  }
}

export function writeResponseHeader(w: Writer, correlationId: number, apiKey: number, flexible: boolean): void {
  w.int32(correlationId);
  if (flexible && apiKey !== API_VERSIONS_KEY) w.uvarint(0);
}

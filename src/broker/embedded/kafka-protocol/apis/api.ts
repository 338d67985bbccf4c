import type { ReadAhead } from '../records/read-ahead.ts';
import type { MessageSchema } from '../wire/schema.ts';
import type { ListenerContext } from '../server/context.ts';

/** What a handler knows about the request beyond its body. */
export interface RequestContext {
  /** The API version the client used. */
  version: number;
  clientId: string;
  /** The client's address, as Kafka reports it in group descriptions (`/127.0.0.1`). */
  clientHost: string;
  broker: ListenerContext;
  /** SASL state of the connection, for the SASL APIs. */
  session: SessionState;
  /** Aborted when the connection closes: waits on its behalf (long polls) end. */
  closed: AbortSignal;
  /** The connection's fetch read-ahead. */
  readAhead: ReadAhead;
}

/** Authentication state of one connection. */
export interface SessionState {
  authenticated: boolean;
  /** The mechanism the client chose with SaslHandshake, once it did. */
  mechanism: string | null;
  /** SaslHandshake v0: the next frame is a bare SASL token, not a request. */
  rawTokenNext: boolean;
  /** Set by a handler when the connection must close once the response is written (failed authentication). */
  closeAfterResponse: string | null;
}

/**
 * One Kafka API: its key, the versions it answers (what ApiVersions advertises), its request and response
 * schemas, and the handler. A handler returns the response body, or `null` for no response (produce with
 * acks=0). It must not await before its first effect on the log: requests of one connection are started in the
 * order they arrived, so a producer's pipelined batches are appended in order.
 */
export interface Api<Req = unknown, Res = unknown> {
  key: number;
  name: string;
  min: number;
  max: number;
  request: MessageSchema;
  response: MessageSchema;
  handle(request: Req, context: RequestContext): Res | null | Promise<Res | null>;
}

/** An API of any request and response type, as the registry holds them. */
export type AnyApi = Api<never, object>;

/** Declares an API with typed request and response bodies. */
export function defineApi<Req, Res extends object>(api: Api<Req, Res>): AnyApi {
  return api as unknown as AnyApi;
}

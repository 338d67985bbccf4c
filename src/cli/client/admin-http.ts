import type { ReadableStream } from 'node:stream/web';
import { ERROR_CODES, type ErrorCode, HeraldError } from '../../errors.ts';

/** Calls `/admin{path}` of a running Herald and resolves with the parsed JSON answer. */
export type AdminCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

function unreachable(baseUrl: string, err: unknown): HeraldError {
  return new HeraldError(
    'HERALD_BROKER_UNAVAILABLE',
    `no Herald server answers at ${baseUrl} (start one, or pass --server/--broker)`,
    { cause: err },
  );
}

function headersFor(token: string, json: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (json) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** The server's error answer as a {@link HeraldError} with its code. */
async function errorOf(response: Response): Promise<HeraldError> {
  const text = await response.text();
  let json: { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const code = (json?.error?.code ?? '') in ERROR_CODES ? (json!.error!.code as ErrorCode) : 'HERALD_INTERNAL';
  return new HeraldError(code, json?.error?.message ?? `HTTP ${response.status}`, { details: json?.error?.details });
}

/**
 * A caller of a running Herald's admin API. Error answers become {@link HeraldError}s with the server's code;
 * an unreachable server is `HERALD_BROKER_UNAVAILABLE`.
 */
export function adminCall(baseUrl: string, token: string): AdminCall {
  return async (method, path, body) => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/admin${path}`, {
        method,
        headers: headersFor(token, body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw unreachable(baseUrl, err);
    }
    if (!response.ok) throw await errorOf(response);
    const text = await response.text();
    return text ? JSON.parse(text) : undefined;
  };
}

/** `GET /admin{path}` as a byte stream (JSON lines), for answers that stream; errors as {@link adminCall}'s. */
export function adminStream(baseUrl: string, token: string) {
  return async (path: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/admin${path}`, { headers: headersFor(token, false), signal });
    } catch (err) {
      throw unreachable(baseUrl, err);
    }
    if (!response.ok) throw await errorOf(response);
    return response.body as ReadableStream<Uint8Array>;
  };
}

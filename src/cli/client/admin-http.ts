import { ERROR_CODES, type ErrorCode, HeraldError } from '../../errors.ts';

/** Calls `/admin{path}` of a running Herald and resolves with the parsed JSON answer. */
export type AdminCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

/**
 * A caller of a running Herald's admin API. Error answers become {@link HeraldError}s with the server's code;
 * an unreachable server is `HERALD_BROKER_UNAVAILABLE`.
 */
export function adminCall(baseUrl: string, token: string): AdminCall {
  return async (method, path, body) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/admin${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new HeraldError(
        'HERALD_BROKER_UNAVAILABLE',
        `no Herald server answers at ${baseUrl} (start one, or pass --server/--broker)`,
        { cause: err },
      );
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const code = json?.error?.code in ERROR_CODES ? (json.error.code as ErrorCode) : 'HERALD_INTERNAL';
      throw new HeraldError(code, json?.error?.message ?? `HTTP ${response.status}`, { details: json?.error?.details });
    }
    return json;
  };
}

/**
 * An HTTP/1.1 response read from a connection's bytes as they arrive, for the posting thread's client
 * (`http1-pool.ts`): the status, `Retry-After`, the first bytes of the body when the status is not 2xx, and whether
 * the connection can carry another request afterwards. Interim (1xx) responses are skipped; bodies are framed by
 * `Content-Length`, chunked transfer coding, or the end of the connection. Malformed responses are errors: the
 * connection is then closed, never reused.
 */

/** What a complete response came to. */
export interface ResponseHead {
  status: number;
  retryAfter: string | null;
  /** The first bytes of the body (up to the parser's limit), only for a status outside 2xx. */
  body: Buffer | undefined;
  /** The connection may carry another request (HTTP/1.1 keep-alive, nothing after the response). */
  reusable: boolean;
}

/** Longest response head accepted (status line and headers). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size line accepted (size and extensions). */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

/** A response that cannot be read: the connection must be closed. */
export class MalformedResponse extends Error {}

/**
 * Reads one response. `push` each chunk as it arrives: it returns the response once complete (and ignores anything
 * after it — bytes the server sent unasked, which make the connection unusable), or `undefined` while more is needed;
 * it throws {@link MalformedResponse}. `end` is called when the connection ends: it completes a response framed by
 * the connection's end, and throws otherwise.
 */
export class ResponseReader {
  readonly #keepBodyBytes: number;
  #state: State = 'head';
  /** Head bytes not yet complete, or a partial chunk-size or trailer line. */
  #pending: Buffer | undefined;
  #status = 0;
  #retryAfter: string | null = null;
  #close = false;
  #remaining = 0;
  #kept: Buffer[] | undefined;
  #keptBytes = 0;

  /** `keepBodyBytes`: how much of a non-2xx body to keep. */
  constructor(keepBodyBytes: number) {
    this.#keepBodyBytes = keepBodyBytes;
  }

  push(chunk: Buffer): ResponseHead | undefined {
    let data = chunk;
    while (this.#state !== 'done') {
      switch (this.#state) {
        case 'head': {
          const joined = this.#join(data);
          const end = joined.indexOf(CRLF_CRLF);
          if (end < 0) {
            if (joined.length > MAX_HEAD_BYTES) throw new MalformedResponse('the response head is too large');
            this.#pending = joined;
            return undefined;
          }
          this.#pending = undefined;
          this.#readHead(joined.toString('latin1', 0, end));
          data = joined.subarray(end + 4);
          break;
        }
        case 'length':
        case 'chunk-data':
          data = this.#body(data);
          if (this.#remaining > 0) return undefined;
          this.#state = this.#state === 'length' ? 'done' : 'chunk-end';
          break;
        case 'chunk-size': {
          const line = this.#line(data, MAX_CHUNK_LINE_BYTES);
          if (line === undefined) return undefined;
          data = line.rest;
          const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line.text);
          if (size === null) throw new MalformedResponse(`a malformed chunk size: ${JSON.stringify(line.text.slice(0, 40))}`);
          this.#remaining = Number.parseInt(size[1], 16);
          this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-end': {
          const joined = this.#join(data);
          if (joined[0] !== undefined && joined[0] !== 13) throw new MalformedResponse('a chunk does not end with CRLF');
          if (joined[1] !== undefined && joined[1] !== 10) throw new MalformedResponse('a chunk does not end with CRLF');
          if (joined.length < 2) {
            this.#pending = joined;
            return undefined;
          }
          this.#pending = undefined;
          data = joined.subarray(2);
          this.#state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const line = this.#line(data, MAX_HEAD_BYTES);
          if (line === undefined) return undefined;
          data = line.rest;
          if (line.text === '') this.#state = 'done';
          break;
        }
        case 'until-close':
          this.#keep(data, data.length);
          return undefined;
      }
    }
    return this.#result(data.length === 0);
  }

  /** The connection ended: the response if it was framed by that end, else a {@link MalformedResponse}. */
  end(): ResponseHead {
    if (this.#state === 'until-close') return this.#result(false);
    throw new MalformedResponse('the connection closed before the response ended');
  }

  #readHead(head: string): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: |$)/.exec(lines[0]);
    if (statusLine === null) throw new MalformedResponse(`a malformed status line: ${JSON.stringify(lines[0].slice(0, 40))}`);
    const status = Number(statusLine[2]);
    let length: number | undefined;
    let chunked = false;
    let close = statusLine[1] === '0';
    let retryAfter: string | null = null;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedResponse(`a malformed header line: ${JSON.stringify(line.slice(0, 40))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new MalformedResponse(`a malformed Content-Length: ${JSON.stringify(value)}`);
        if (length !== undefined && length !== Number(value)) throw new MalformedResponse('two different Content-Lengths');
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
        if (!chunked) close = true; // another coding last: the body runs to the connection's end
      } else if (name === 'connection') {
        const tokens = value.toLowerCase();
        if (/(?:^|,)\s*close\s*(?:,|$)/.test(tokens)) close = true;
        else if (statusLine[1] === '0' && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens)) close = false;
      } else if (name === 'retry-after') {
        retryAfter ??= value;
      }
    }
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints): the real one follows. 101 would switch protocols.
      if (status === 101) throw new MalformedResponse('the destination switched protocols unasked');
      return;
    }
    this.#status = status;
    this.#retryAfter = retryAfter;
    this.#close = close;
    if (status >= 300) this.#kept = [];
    if (status === 204 || status === 304) this.#state = 'done';
    else if (chunked) this.#state = 'chunk-size';
    else if (length !== undefined) {
      this.#remaining = length;
      this.#state = length === 0 ? 'done' : 'length';
    } else {
      this.#state = 'until-close';
      this.#close = true;
    }
  }

  /** The next CRLF-ended line from the pending bytes and `data`, or undefined (kept) until one is complete. */
  #line(data: Buffer, maxBytes: number): { text: string; rest: Buffer } | undefined {
    const joined = this.#join(data);
    const end = joined.indexOf(CRLF);
    if (end < 0) {
      if (joined.length > maxBytes + 1) throw new MalformedResponse('a line of the response is too long');
      this.#pending = joined;
      return undefined;
    }
    this.#pending = undefined;
    return { text: joined.toString('latin1', 0, end), rest: joined.subarray(end + 2) };
  }

  #join(data: Buffer): Buffer {
    const pending = this.#pending;
    return pending === undefined || pending.length === 0 ? data : Buffer.concat([pending, data]);
  }

  /** Takes up to the remaining body bytes from `data` (keeping what the limit allows); returns the rest. */
  #body(data: Buffer): Buffer {
    const take = Math.min(this.#remaining, data.length);
    this.#keep(data, take);
    this.#remaining -= take;
    return data.subarray(take);
  }

  #keep(data: Buffer, bytes: number): void {
    if (this.#kept === undefined || this.#keptBytes >= this.#keepBodyBytes || bytes === 0) return;
    const part = data.subarray(0, Math.min(bytes, this.#keepBodyBytes - this.#keptBytes));
    this.#kept.push(Buffer.from(part));
    this.#keptBytes += part.length;
  }

  #result(nothingAfter: boolean): ResponseHead {
    this.#state = 'done';
    return {
      status: this.#status,
      retryAfter: this.#retryAfter,
      body: this.#kept === undefined ? undefined : Buffer.concat(this.#kept),
      reusable: nothingAfter && !this.#close,
    };
  }
}

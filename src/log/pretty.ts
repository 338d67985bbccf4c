/**
 * A human-readable rendering of pino's JSON lines for a terminal: `12:04:05.123 INFO  message key=value …`, an
 * error as its message (and, from level error up, its stack) rather than a nested object. Only used when logs go
 * to a terminal or `log.format` is `pretty`: the JSON path writes pino's lines untouched.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
/** Fields every line has, shown in their own places or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

/** Options of {@link formatLine}. */
export interface PrettyOptions {
  /** ANSI colours for the level (on a terminal). */
  colour: boolean;
}

/** One JSON log line as one (or, for an error's stack, several) readable lines, ending with a newline. */
export function formatLine(json: string, options: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = LEVELS[level] ?? String(level);
  const label = options.colour ? `\u001b[${COLOURS[level] ?? '0'}m${name}\u001b[0m` : name;
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : new Date().toISOString().slice(11, 23);
  const parts = [time, label, typeof entry.msg === 'string' ? entry.msg : ''];
  // fastify's request lines: the method and path, the status and the time, rather than their objects.
  const req = entry.req as { method?: string; url?: string } | undefined;
  if (req?.method && req.url) parts.push(`${req.method} ${req.url}`);
  const res = entry.res as { statusCode?: number } | undefined;
  if (res?.statusCode !== undefined) parts.push(String(res.statusCode));
  if (typeof entry.responseTime === 'number') parts.push(`${entry.responseTime.toFixed(1)} ms`);
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if ((key === 'req' && req?.method) || (key === 'res' && res?.statusCode !== undefined)) continue;
    if (key === 'responseTime' && typeof value === 'number') continue;
    parts.push(`${key}=${key === 'error' ? render(oneLine(value)) : render(value)}`);
  }
  const err = entry.err as { message?: string; code?: string; stack?: string } | undefined;
  if (err) parts.push(`err=${render(oneLine(err))}`);
  let line = parts.filter((part) => part !== '').join(' ');
  if (err?.stack && level >= 50) line += `\n    ${err.stack.split('\n').slice(1).join('\n    ').trim()}`;
  return `${line}\n`;
}

/** An error's fields as `CODE: message`. */
function oneLine(value: unknown): unknown {
  const error = value as { code?: unknown; message?: unknown } | null;
  if (typeof error !== 'object' || error === null || typeof error.message !== 'string') return value;
  return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
}

function render(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** A pino destination that writes {@link formatLine}'s rendering of each line to `out`. */
export function prettyStream(out: NodeJS.WritableStream, options: PrettyOptions): { write(line: string): boolean } {
  return {
    write(chunk: string) {
      let text = '';
      for (const line of chunk.split('\n')) if (line !== '') text += formatLine(line, options);
      return out.write(text);
    },
  };
}

/**
 * Malformed, huge, deep and mistyped requests on every route `/openapi.json` describes. Every answer must be below
 * 500 and, when an error, carry Herald's envelope `{"error": {"code": "HERALD_…"}}`; the server must stay healthy.
 */
import type { ProbeResult } from './report.ts';
import { chaosHerald, request } from './herald.ts';

interface Attempt {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
}

const DEEP = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
const JSON_BODIES: Array<[string, string]> = [
  ['invalid JSON', '{"a":'],
  ['deep array', DEEP],
  ['deep payload', `{"userId":"d","payload":${DEEP},"value":${DEEP}}`],
  ['empty object', '{}'],
  ['array', '[1,2,3]'],
  ['null', 'null'],
  ['string', '"text"'],
  ['huge numbers', '{"amount":1e300,"partitions":1e300,"timestamp":1e300,"limit":-1e300}'],
  [
    'unsendable text',
    JSON.stringify({
      request_id: 'a\u0000b\r\nc😀',
      key: '\r\n',
      value: '\u0000',
      userId: '\u202e',
      title: 'x'.repeat(100_000),
      topic_name: '../../etc',
    }),
  ],
  ['too large', JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) })],
];

function attemptsFor(method: string, route: string): Attempt[] {
  const path = route.replace(/\{[^}]+\}/g, 'chaos-x');
  const attempts: Attempt[] = [
    { what: 'plain', method, path },
    { what: 'bad query', method, path: `${path}?limit=-5&offset=zz&partition=abc&cursor=%25zz&since=never&maxBytes=0` },
    { what: 'long URL', method, path: `${path}?q=${'a'.repeat(20_000)}` },
    { what: 'long parameter', method, path: route.includes('{') ? route.replace(/\{[^}]+\}/g, 'p'.repeat(3_000)) : path },
  ];
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    for (const [what, body] of JSON_BODIES) attempts.push({ what, method, path, body, contentType: 'application/json' });
    attempts.push({ what: 'text body', method, path, body: 'hello', contentType: 'text/plain' });
    attempts.push({ what: 'binary body', method, path, body: Buffer.from([0xff, 0x00, 0xfe]), contentType: 'application/octet-stream' });
    attempts.push({ what: 'JSON without a type', method, path, body: '{}' });
  }
  return attempts;
}

/**
 * Whether `text` is an error envelope: Herald's `{"error": {"code": "HERALD_…"}}`, or `{"error": "<text>"}` where a
 * service keeps the API of the system it reimplements (wallet, bookstore, tasks answer as their originals did).
 */
function isEnvelope(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } | string };
    if (typeof parsed.error === 'string') return parsed.error.length > 0;
    return typeof parsed.error?.code === 'string' && parsed.error.code.startsWith('HERALD_');
  } catch {
    return false;
  }
}

export async function bodiesProbe(workDir: string, result: ProbeResult): Promise<void> {
  const { herald } = chaosHerald(workDir, 'bodies');
  const url = await herald.start();
  try {
    const document = JSON.parse((await request(`${url}/openapi.json`))!.text) as { paths: Record<string, object> };
    const routes = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => [method.toUpperCase(), path] as const),
    );
    result.figures.routes = routes.length;
    let requests = 0;
    let streams = 0;
    for (const [method, route] of routes) {
      for (const attempt of attemptsFor(method, route)) {
        requests++;
        const headers: Record<string, string> = {};
        if (attempt.contentType !== undefined) headers['content-type'] = attempt.contentType;
        const where = `${attempt.method} ${route} (${attempt.what})`;
        let answer: Awaited<ReturnType<typeof request>>;
        try {
          answer = await request(
            `${url}${attempt.path}`,
            { method: attempt.method, headers, body: attempt.body as RequestInit['body'] },
            5_000,
          );
        } catch (err) {
          result.problems.push(`${where}: no answer (${(err as Error).message}: ${String((err as Error).cause ?? '')})`);
          continue;
        }
        if (answer === undefined) {
          streams++; // a stream that waits for records (a follow), or no answer at all: told apart below
          continue;
        }
        if (answer.status >= 500) result.problems.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
        else if (answer.status >= 400 && !isEnvelope(answer.text)) {
          result.problems.push(`${where}: ${answer.status} without the error envelope: ${answer.text.slice(0, 200)}`);
        }
      }
    }
    // A wrong method on a known path, and no path at all.
    for (const [method, path, status] of [['PATCH', '/healthz', 405], ['GET', '/no/such/route', 404]] as const) {
      requests++;
      const answer = await request(`${url}${path}`, { method });
      if (answer?.status !== status || !isEnvelope(answer.text)) {
        result.problems.push(`${method} ${path}: expected ${status} with the envelope, got ${answer?.status} ${answer?.text.slice(0, 100)}`);
      }
    }
    result.figures.requests = requests;
    result.figures.unanswered = streams;
    const health = await request(`${url}/healthz`);
    if (health?.status !== 200) result.problems.push(`/healthz answered ${health?.status} after the probe`);
    if (herald.process?.exitCode !== null) result.problems.push('Herald exited during the probe');
  } finally {
    await herald.stop();
  }
}

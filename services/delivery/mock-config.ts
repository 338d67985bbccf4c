import type { Field, Rejection } from '#herald';

/** A mock destination: answers 200, or 500 with probability `failureRate`, after a random latency. */
export interface MockConfig {
  /** Served at `/mock-destinations/<id>`. */
  id: string;
  /** Probability (0..1) that a request is answered 500. */
  failureRate: number;
  /** Each answer waits a uniformly random time in [minLatencyMs, maxLatencyMs]. */
  minLatencyMs: number;
  maxLatencyMs: number;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const EXPECTED = 'a list of {id, failureRate: 0..1, minLatencyMs, maxLatencyMs}';

/** Checks a mock list; returns it or the problems found. */
export function parseMocks(raw: unknown): MockConfig[] | { problems: string[] } {
  if (!Array.isArray(raw)) return { problems: ['mocks must be a list'] };
  const problems: string[] = [];
  const ids = new Set<string>();
  const list = raw.map((item: unknown, i): MockConfig => {
    const m = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    for (const key of Object.keys(m)) {
      if (!['id', 'failureRate', 'minLatencyMs', 'maxLatencyMs'].includes(key))
        problems.push(`[${i}].${key} is unknown`);
    }
    const id = m.id;
    if (typeof id !== 'string' || !ID.test(id)) problems.push(`[${i}].id must match ${ID}`);
    else if (ids.has(id)) problems.push(`[${i}].id ${JSON.stringify(id)} is used twice`);
    else ids.add(id);
    const failureRate = m.failureRate ?? 0;
    if (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate <= 1)) {
      problems.push(`[${i}].failureRate must be a number from 0 to 1`);
    }
    const latency = (name: string): number => {
      const v = m[name] ?? 0;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 600_000) return v;
      problems.push(`[${i}].${name} must be an integer from 0 to 600000`);
      return 0;
    };
    const minLatencyMs = latency('minLatencyMs');
    const maxLatencyMs = latency('maxLatencyMs');
    if (maxLatencyMs < minLatencyMs) problems.push(`[${i}].maxLatencyMs must be >= minLatencyMs`);
    return { id: String(id), failureRate: Number(failureRate), minLatencyMs, maxLatencyMs };
  });
  return problems.length > 0 ? { problems } : list;
}

/** A config field holding the mock list (JSON text in env/flags). */
export function mocksField(def: MockConfig[], doc: string): Field<MockConfig[]> {
  return {
    kind: 'field',
    default: def,
    doc,
    expected: EXPECTED,
    parse(raw: unknown, fromText: boolean): MockConfig[] | Rejection {
      let value = raw;
      if (fromText && typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          return { expected: `${EXPECTED}, as JSON` };
        }
      }
      const parsed = parseMocks(value);
      return Array.isArray(parsed) ? parsed : { expected: `${EXPECTED} (${parsed.problems.join('; ')})` };
    },
  };
}

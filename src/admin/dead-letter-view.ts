import type { DeadLetter } from '../runtime/dlq/envelope.ts';
import type { ReplayMark } from './replay-marks.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A dead letter as JSON (admin API, CLI): bytes as UTF-8 text, or base64 with `encoding: 'base64'`. */
export interface DeadLetterView {
  dlq: { topic: string; partition: number; offset: number; deadLetteredAt: string };
  origin: { topic: string; partition: number; offset: number; timestamp: string };
  group: string;
  error: { code: string; message: string };
  attempts: number;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  replayCount: number;
  /** This dead letter was replayed: how often, and when last (see `ReplayMarks`); `null` if never. */
  replayed: { count: number; lastAt: string } | null;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  /** Present when key or value was not valid UTF-8: both are then base64. */
  encoding?: 'base64';
}

function utf8(bytes: Buffer | null): string | null | undefined {
  if (bytes === null) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deadLetterView(letter: DeadLetter, mark?: ReplayMark): DeadLetterView {
  const key = utf8(letter.key);
  const value = utf8(letter.value);
  const view: DeadLetterView = {
    dlq: {
      topic: letter.dlq.topic,
      partition: letter.dlq.partition,
      offset: letter.dlq.offset,
      deadLetteredAt: new Date(letter.dlq.timestamp).toISOString(),
    },
    origin: { ...letter.origin, timestamp: new Date(letter.origin.timestamp).toISOString() },
    group: letter.group,
    error: letter.error,
    attempts: letter.attempts,
    firstAttemptAt: iso(letter.firstAttemptAt),
    lastAttemptAt: iso(letter.lastAttemptAt),
    replayCount: letter.replayCount,
    replayed: mark === undefined ? null : { count: mark.count, lastAt: new Date(mark.lastAt).toISOString() },
    key: key ?? null,
    value: value ?? null,
    headers: letter.headers,
  };
  if (key === undefined || value === undefined) {
    view.key = letter.key?.toString('base64') ?? null;
    view.value = letter.value?.toString('base64') ?? null;
    view.encoding = 'base64';
  }
  return view;
}

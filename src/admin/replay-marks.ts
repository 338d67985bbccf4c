import type { Admin, Producer } from '../broker/port.ts';
import { isHeraldError } from '../errors.ts';
import { creates, type TopicDeclaration } from '../topology/declaration.ts';
import { provisionTopology } from '../topology/provision.ts';

/** The compacted topic recording which dead letters were replayed: key `<dlq topic>/<partition>/<offset>`. */
export const REPLAY_MARKS_TOPIC = '__herald.replays';

/** The marks topic, declared by the platform like every other topic. */
export function replayMarksDeclaration(): TopicDeclaration {
  return creates('herald admin', 'internal', { name: REPLAY_MARKS_TOPIC, partitions: 1, compacted: true });
}

/** How often, and when last, a dead letter was replayed. */
export interface ReplayMark {
  count: number;
  /** Epoch ms of the last replay. */
  lastAt: number;
}

const PAGE = 1_000;
const keyOf = (topic: string, partition: number, offset: number) => `${topic}/${partition}/${offset}`;

/**
 * Which dead letters were replayed, kept in {@link REPLAY_MARKS_TOPIC} (a log is append-only, so a dead letter
 * cannot be marked in place). `refresh` reads the marks written since the last refresh — by this process or any
 * other — so a long-lived instance reads each mark once. A mark is written after its replayed record is durable:
 * a crash in between leaves that dead letter unmarked (replayed, but not known to be).
 */
export class ReplayMarks {
  readonly #admin: Admin;
  readonly #marks = new Map<string, ReplayMark>();
  #next = 0;
  #provisioned = false;

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  /** Reads the marks written since the last refresh (none when the topic does not exist yet). */
  async refresh(): Promise<void> {
    let latest: number;
    try {
      latest = (await this.#admin.describeTopic(REPLAY_MARKS_TOPIC)).partitions[0]?.latest ?? 0;
    } catch (err) {
      if (isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) return;
      throw err;
    }
    while (this.#next < latest) {
      const records = await this.#admin.read({ topic: REPLAY_MARKS_TOPIC, partition: 0, offset: this.#next }, PAGE);
      if (records.length === 0) break;
      for (const record of records) {
        const key = record.key?.toString('utf8');
        const mark = parseMark(record.value);
        if (key !== undefined && mark !== undefined) this.#marks.set(key, mark);
      }
      this.#next = records[records.length - 1].offset + 1;
    }
  }

  /** The mark of one dead letter, as of the last refresh. */
  get(topic: string, partition: number, offset: number): ReplayMark | undefined {
    return this.#marks.get(keyOf(topic, partition, offset));
  }

  /** Records that these dead letters of `topic` were just replayed; resolves once the marks are durable. */
  async mark(producer: Producer, topic: string, letters: { partition: number; offset: number }[], at: number) {
    if (letters.length === 0) return;
    if (!this.#provisioned) {
      await provisionTopology(this.#admin, [replayMarksDeclaration()], { lookUpUsed: false });
      this.#provisioned = true;
    }
    const marks = letters.map(({ partition, offset }) => {
      const key = keyOf(topic, partition, offset);
      return [key, { count: (this.#marks.get(key)?.count ?? 0) + 1, lastAt: at }] as const;
    });
    await producer.send(
      marks.map(([key, mark]) => ({
        topic: REPLAY_MARKS_TOPIC,
        key: Buffer.from(key),
        value: Buffer.from(JSON.stringify(mark)),
      })),
    );
    for (const [key, mark] of marks) this.#marks.set(key, mark);
  }
}

function parseMark(value: Buffer | null): ReplayMark | undefined {
  if (value === null) return undefined;
  try {
    const mark = JSON.parse(value.toString('utf8')) as Partial<ReplayMark>;
    return typeof mark.count === 'number' && typeof mark.lastAt === 'number'
      ? { count: mark.count, lastAt: mark.lastAt }
      : undefined;
  } catch {
    return undefined;
  }
}

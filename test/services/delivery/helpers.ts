import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RecorderOptions, RecordingDestination } from '../../../tools/delivery-check/recorder.ts';
import { deliveryService } from '../../../services/delivery/index.ts';
import type { ServiceDefinition } from '../../../src/platform/service.ts';
import { bootHerald, request } from '../../support/boot.ts';

/** Broker settings a scenario runs on: `{}` for the embedded broker, `{'broker.url': 'kafka://…'}` for Kafka. */
export type BrokerFlags = Record<string, string>;

/** A destination entry with fast retries, so tests spend milliseconds, not seconds, between attempts. */
export function destination(id: string, url: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    url,
    timeoutMs: 2_000,
    maxAttempts: 1_000,
    maxAgeMs: 120_000,
    backoff: { initialMs: 5, maxMs: 50 },
    concurrency: 16,
    ...overrides,
  };
}

/** A recording destination on loopback, closed when the test ends. */
export async function recorder(t: TestContext, options: RecorderOptions = {}): Promise<RecordingDestination> {
  const destination = await RecordingDestination.start({ logRequests: true, ...options });
  t.after(() => destination.close());
  return destination;
}

export interface BootDeliveryOptions {
  destinations: unknown[];
  broker?: BrokerFlags;
  /** More config flags (dotted keys). */
  flags?: Record<string, string>;
  service?: ServiceDefinition;
}

/**
 * Herald with only the delivery service, on a free port, a fresh data dir and topics under a random prefix (so
 * tests sharing a Kafka cluster never see each other's records). Stopped when the test ends.
 */
export async function bootDelivery(t: TestContext, options: BootDeliveryOptions) {
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const running = await bootHerald(
    t,
    {
      'delivery.topicPrefix': prefix,
      'delivery.partitions': '4',
      'delivery.mocks': '[]',
      'delivery.destinations': JSON.stringify(options.destinations),
      'shutdown.timeoutMs': '5000',
      ...options.broker,
      ...options.flags,
    },
    [options.service ?? deliveryService],
  );
  return { ...running, prefix };
}

/** Publishes one event; fails the test unless it is accepted. */
export async function publish(url: string, userId: string, payload: unknown): Promise<string> {
  const response = await request(`${url}/publish`, 'POST', { userId, payload });
  if (response.status !== 202) throw new Error(`publish answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** Publishes `count` events per user, each user's strictly in sequence (`payload.seq`), users concurrently. */
export async function publishSequences(url: string, users: string[], count: number, extra: object = {}) {
  const ids = new Map<string, string[]>();
  await Promise.all(
    users.map(async (user) => {
      const list: string[] = [];
      ids.set(user, list);
      for (let seq = 0; seq < count; seq++) list.push(await publish(url, user, { seq, ...extra }));
    }),
  );
  return ids;
}

/** Polls `condition` until true; fails with `what` after `timeoutMs` (a guard, not a timing assertion). */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Distinct event ids a destination accepted for `user`, in the order it first accepted them. */
export function firstReceipts(destination: RecordingDestination, user: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of destination.receipts) {
    if (r.userId !== user || seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r.id);
  }
  return out;
}

/** Whether every id in `ids` was accepted by `destination` at least once. */
export function receivedAll(destination: RecordingDestination, ids: Iterable<string>): boolean {
  const got = new Set(destination.receipts.map((r) => r.id));
  for (const id of ids) if (!got.has(id)) return false;
  return true;
}

export interface EventStatusBody {
  id: string;
  userId: string;
  receivedAt: string;
  destinations: Record<
    string,
    { status: string; attempts: number; lastError: string | null; deliveredAt: string | null; deadAt: string | null }
  >;
}

export async function eventStatus(url: string, id: string): Promise<EventStatusBody> {
  const response = await request(`${url}/events/${id}`);
  if (response.status !== 200) throw new Error(`GET /events/${id} answered ${response.status}`);
  return response.body as EventStatusBody;
}

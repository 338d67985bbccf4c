import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it, type TestContext } from 'node:test';
import type {
  Broker,
  BrokerRecord,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  TopicPartition,
  TopicSpec,
} from '../../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../../src/broker/index.ts';
import { ERROR_CODES, type ErrorCode, HeraldError } from '../../src/errors.ts';
import type { ConformanceFeatures, ConformanceSetup } from './types.ts';

let counter = 0;

/** A topic or group name no other test (or earlier run against the same cluster) uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `herald-${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** `"topic/partition"`, for sets and maps. */
export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

export function sortTps(tps: TopicPartition[]): TopicPartition[] {
  return [...tps].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** `[0, 1, …, n - 1]`. */
export function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

export function text(buffer: Buffer | null): string | null {
  return buffer === null ? null : buffer.toString('utf8');
}

/** The values of `records` as strings, in the order given. */
export function texts(records: BrokerRecord[]): (string | null)[] {
  return records.map((r) => text(r.value));
}

/** Records grouped by partition, each group in delivery order. */
export function byPartition(records: BrokerRecord[]): Map<number, BrokerRecord[]> {
  const out = new Map<number, BrokerRecord[]>();
  for (const r of records) {
    const list = out.get(r.partition) ?? [];
    list.push(r);
    out.set(r.partition, list);
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` until it holds. The timeout is a failure guard only: it turns a hang into a failure that says
 * what was awaited and what was seen.
 */
export async function waitFor(condition: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`gave up after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(10);
  }
}

/** Runs `action` (sync throw or async rejection both count) and asserts it fails with a HeraldError of `code`. */
export async function rejectsWithCode(action: () => unknown, code: ErrorCode): Promise<HeraldError> {
  let failure: unknown;
  let failed = false;
  try {
    await action();
  } catch (err) {
    failure = err;
    failed = true;
  }
  assert.ok(failed, `expected ${code}, but the call succeeded`);
  assert.ok(failure instanceof HeraldError, `expected a HeraldError with ${code}, got: ${String(failure)}`);
  assert.equal(failure.code, code, `expected ${code}, got ${failure.code}: ${failure.message}`);
  assert.equal(failure.retriable, ERROR_CODES[code].retriable, `${code} has the wrong retriable flag`);
  return failure;
}

/** Every stored record of one partition, read with `admin.read` page by page. */
export async function readPartition(broker: Broker, topic: string, partition: number): Promise<BrokerRecord[]> {
  const info = await broker.admin.describeTopic(topic);
  const latest = info.partitions.find((p) => p.partition === partition)?.latest ?? 0;
  const out: BrokerRecord[] = [];
  let offset = 0;
  while (offset < latest) {
    const page = await broker.admin.read({ topic, partition, offset }, 200);
    if (page.length === 0) break;
    out.push(...page);
    offset = page[page.length - 1].offset + 1;
  }
  return out;
}

/** `latest` of each partition of `topic`, by partition number. */
export async function latestOffsets(broker: Broker, topic: string): Promise<number[]> {
  const info = await broker.admin.describeTopic(topic);
  return [...info.partitions].sort((a, b) => a.partition - b.partition).map((p) => p.latest);
}

/** One test's view of a broker under test. Everything it makes is closed after the test, newest first. */
export interface Harness {
  t: TestContext;
  features: ConformanceFeatures;
  spec: BrokerSpec;
  /** A started broker on `spec`. */
  broker: Broker;
  timeoutMs: number;
  /** Builds and starts another broker on the same spec (a restart, or a second client of a server). */
  open(): Promise<Broker>;
  /** Creates a topic with a unique name on `broker` (default: `h.broker`) and returns the name. */
  topic(partitions: number, extra?: Partial<Omit<TopicSpec, 'partitions'>>, broker?: Broker): Promise<string>;
  group(): string;
  producer(broker?: Broker): Producer;
  /** A group consumer; `group` defaults to a unique one, `sessionTimeoutMs` stays the broker's default. */
  consumer(options: Partial<ConsumerOptions> & { topics: string[] }, broker?: Broker): GroupConsumer;
  /** Runs `fn` after the test, before everything registered earlier. */
  defer(fn: () => unknown): void;
}

/**
 * Opens a harness for one test, or returns `undefined` when the setup skipped the test (no broker reachable). The
 * cleanup hook is registered before the setup's own hooks (e.g. removing the data dir), so brokers stop first.
 */
export async function harness(t: TestContext, setup: ConformanceSetup): Promise<Harness | undefined> {
  const cleanups: (() => unknown)[] = [];
  const topics: string[] = [];
  const opened: Broker[] = [];
  t.after(async () => {
    const last = opened[opened.length - 1];
    if (last !== undefined && topics.length > 0) {
      // A server outlives the test: drop its topics. Best effort (the broker may be stopped; names are unique).
      const deletes = Promise.allSettled(topics.map((name) => last.admin.deleteTopic(name)));
      await Promise.race([deletes, sleep(5_000)]);
    }
    for (const fn of cleanups.reverse()) await fn();
  });
  const spec = await setup.spec(t);
  if (spec === undefined) return undefined;
  const defer = (fn: () => unknown) => {
    cleanups.push(fn);
  };
  const open = async () => {
    const broker = await createBroker(structuredClone(spec));
    defer(() => broker.stop());
    await broker.start();
    opened.push(broker);
    return broker;
  };
  const broker = await open();
  return {
    t,
    features: setup.features,
    spec,
    broker,
    timeoutMs: setup.features.timeoutMs,
    open,
    async topic(partitions, extra = {}, on = broker) {
      const name = uniqueName(extra.name ?? 't');
      await on.admin.createTopic({ ...extra, name, partitions });
      topics.push(name);
      return name;
    },
    group: () => uniqueName('g'),
    producer(on = broker) {
      const producer = on.producer();
      defer(() => producer.close());
      return producer;
    },
    consumer(options, on = broker) {
      const consumer = on.consumer({ group: uniqueName('g'), ...options });
      defer(() => consumer.close());
      return consumer;
    },
    defer,
  };
}

/** Registers a test whose body gets a harness; the body is not run when the setup skipped the test. */
export type HarnessTest = (name: string, body: (h: Harness) => Promise<void>) => void;

/** `it`, with a harness built from `setup`. */
export function testWith(setup: ConformanceSetup): HarnessTest {
  return (name, body) => {
    // A hang fails the test instead of the run; generous, since one test waits for several things in turn.
    it(name, { timeout: setup.features.timeoutMs * 4 }, async (t) => {
      const h = await harness(t, setup);
      if (h !== undefined) await body(h);
    });
  };
}

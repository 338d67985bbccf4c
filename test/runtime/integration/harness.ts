import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it, type TestContext } from 'node:test';
import pino, { type Logger } from 'pino';
import type { Broker, BrokerRecord, OutgoingRecord, Producer } from '../../../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../../../src/broker/index.ts';
import { Router } from '../../../src/runtime/router.ts';
import type { RouterOptions } from '../../../src/runtime/router-options.ts';

/** What a broker gives the runtime suite. */
export interface RuntimeSetup {
  /** A spec for one test (a fresh data dir, or a reachable cluster); `undefined` after `t.skip()`. */
  spec(t: TestContext): Promise<BrokerSpec | undefined>;
  /**
   * Session timeout of consumers that get killed: with a server (Kafka) a killed member keeps its partitions
   * until the session expires; in-process membership (embedded) dies with the process.
   */
  crashSessionTimeoutMs?: number;
  /** Failure guard for every wait; never a timing assertion. */
  timeoutMs: number;
}

let counter = 0;

/** A topic or group name no other test or earlier run uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `rt-${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Logs to stderr at `$HERALD_TEST_LOG` (default silent). */
export const testLogger: Logger = pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }, pino.destination(2));

export interface Harness {
  t: TestContext;
  spec: BrokerSpec;
  setup: RuntimeSetup;
  /** A started broker client on `spec`. */
  broker: Broker;
  /** Another started broker client on the same spec (a restart, after stopping `broker` for embedded). */
  open(): Promise<Broker>;
  topic(partitions: number, broker?: Broker): Promise<string>;
  group(): string;
  producer(broker?: Broker): Producer;
  send(records: OutgoingRecord[], broker?: Broker): Promise<void>;
  /** A router on `broker` (default `h.broker`), stopped after the test. */
  router(options?: Partial<RouterOptions>, broker?: Broker): Router;
  /** Polls until `condition` holds; fails (saying what it awaited) after the setup's timeout. */
  waitFor(condition: () => boolean | Promise<boolean>, what: () => string): Promise<void>;
  /** The committed offset of each partition of `topic` in `group` (`null`: never committed). */
  committed(group: string, topic: string, broker?: Broker): Promise<(number | null)[]>;
  /** Asserts that every partition of `topic` is committed to its end in `group` (empty ones need no commit). */
  assertCommittedToEnd(group: string, topic: string, broker?: Broker): Promise<void>;
  readAll(topic: string, broker?: Broker): Promise<BrokerRecord[]>;
  defer(fn: () => unknown): void;
}

async function harness(t: TestContext, setup: RuntimeSetup): Promise<Harness | undefined> {
  const cleanups: (() => unknown)[] = [];
  const topics: string[] = [];
  // eslint-disable-next-line prefer-const -- assigned below, after the cleanup that reads it is registered
  let spec: BrokerSpec | undefined;
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    // A server outlives the test: drop its topics (best effort; names are unique anyway).
    if (spec?.kind !== 'kafka' || topics.length === 0) return;
    const admin = await createBroker(structuredClone(spec));
    try {
      await admin.start();
      await Promise.race([Promise.allSettled(topics.map((name) => admin.admin.deleteTopic(name))), sleep(5_000)]);
    } catch {
      // Best effort.
    } finally {
      await admin.stop().catch(() => {});
    }
  });
  spec = await setup.spec(t);
  if (spec === undefined) return undefined;
  const given = spec;
  const defer = (fn: () => unknown) => {
    cleanups.push(fn);
  };
  const open = async () => {
    const broker = await createBroker(structuredClone(given), testLogger);
    defer(() => broker.stop());
    await broker.start();
    return broker;
  };
  const broker = await open();
  const producers = new Map<Broker, Producer>();
  const producer = (on: Broker = broker) => {
    let p = producers.get(on);
    if (p === undefined) {
      p = on.producer();
      producers.set(on, p);
    }
    return p;
  };
  const h: Harness = {
    t,
    spec: given,
    setup,
    broker,
    open,
    async topic(partitions, on = broker) {
      const name = uniqueName('t');
      await on.admin.createTopic({ name, partitions });
      topics.push(name);
      return name;
    },
    group: () => uniqueName('g'),
    producer,
    async send(records, on = broker) {
      await producer(on).send(records);
    },
    router(options = {}, on = broker) {
      const router = new Router({ broker: on, logger: testLogger, commitIntervalMs: 100, ...options });
      defer(() => router.stop());
      return router;
    },
    async waitFor(condition, what) {
      const deadline = Date.now() + setup.timeoutMs;
      while (!(await condition())) {
        if (Date.now() > deadline) assert.fail(`gave up after ${setup.timeoutMs} ms waiting for ${what()}`);
        await sleep(20);
      }
    },
    async committed(group, topic, on = broker) {
      const info = await on.admin.describeTopic(topic);
      const out: (number | null)[] = info.partitions.map(() => null);
      const described = await on.admin.describeGroup(group).catch(() => undefined);
      for (const o of described?.offsets ?? []) if (o.topic === topic) out[o.partition] = o.committed;
      return out;
    },
    async assertCommittedToEnd(group, topic, on = broker) {
      const latest = (await on.admin.describeTopic(topic)).partitions.map((p) => p.latest);
      const committed = await h.committed(group, topic, on);
      assert.deepEqual(
        committed.map((c, i) => (c === null && latest[i] === 0 ? 0 : c)),
        latest,
        'committed offsets are not at the end of each partition',
      );
    },
    async readAll(topic, on = broker) {
      const info = await on.admin.describeTopic(topic);
      const out: BrokerRecord[] = [];
      for (const { partition, latest } of info.partitions) {
        for (let offset = 0; offset < latest; ) {
          const page = await on.admin.read({ topic, partition, offset }, 500);
          if (page.length === 0) break;
          out.push(...page);
          offset = page[page.length - 1].offset + 1;
        }
      }
      return out;
    },
    defer,
  };
  return h;
}

export type RuntimeTest = (name: string, body: (h: Harness) => Promise<void>) => void;

/** `it`, with a harness on the setup's broker; the body does not run when the setup skipped the test. */
export function testWith(setup: RuntimeSetup): RuntimeTest {
  return (name, body) => {
    it(name, { timeout: setup.timeoutMs * 4 }, async (t) => {
      const h = await harness(t, setup);
      if (h !== undefined) await body(h);
    });
  };
}

/** A JSON value as record bytes. */
export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

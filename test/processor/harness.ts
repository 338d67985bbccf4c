import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import type { Broker } from '../../src/broker/port.ts';
import { createBroker } from '../../src/broker/index.ts';
import { kafkaSingle } from '../support/kafka.ts';

export const logger = pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' });

/** A broker of each kind the processor tests run on; Kafka ones are skipped when no local node answers. */
export interface BrokerKind {
  kind: 'embedded' | 'kafka';
  /** A started broker (several per test share the embedded one's data dir? no: each call its own client). */
  open(t: TestContext): Promise<BrokerFactory | undefined>;
  timeoutMs: number;
}

/** Makes broker clients of one cluster (embedded: one in-process broker, handed out again). */
export interface BrokerFactory {
  broker(): Promise<Broker>;
  /** A directory removed after the test. */
  dir(): Promise<string>;
}

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const KINDS: BrokerKind[] = [
  {
    kind: 'embedded',
    timeoutMs: 60_000,
    async open(t) {
      const dataDir = await tempDir(t, 'herald-proc-broker-');
      const shared = await createBroker({ kind: 'embedded', dataDir, durability: 'os' }, logger);
      await shared.start();
      t.after(() => shared.stop());
      return { broker: async () => shared, dir: () => tempDir(t, 'herald-proc-') };
    },
  },
  {
    kind: 'kafka',
    timeoutMs: 180_000,
    async open(t) {
      const bootstrap = await kafkaSingle(t);
      if (bootstrap === undefined) return undefined;
      return {
        async broker() {
          const b = await createBroker({ kind: 'kafka', bootstrap }, logger);
          await b.start();
          t.after(() => b.stop());
          return b;
        },
        dir: () => tempDir(t, 'herald-proc-'),
      };
    },
  },
];

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A property of `target`, methods bound to it (for proxies over objects with private fields: they are not the proxy's). */
export function bound(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property);
  return typeof value === 'function' ? value.bind(target) : value;
}

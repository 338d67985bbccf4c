/**
 * A Herald process for the crash tests to kill with SIGKILL. Usage:
 *
 *   node test/runtime/crash-child.ts <broker-spec-json> <plan-json>
 *
 * It runs a Router with one handler on `plan.topic` in `plan.group` (key mode, concurrent). The handler waits a
 * random 0..`plan.delayMs` ms, then fails (retriable, retried practically forever) for keys in `plan.failKeys`,
 * else succeeds. Progress goes to stdout as JSON lines, each written before the step it reports completes (pipes
 * are synchronous on Linux, so a line the parent read is a step that happened):
 *   {"event":"started"}
 *   {"event":"handled","partition":0,"offset":3,"key":"k1","seq":0}
 *   {"event":"failed","partition":0,"offset":9,"key":"stuck","seq":0}
 *   {"event":"error","message":"…"}
 * SIGTERM stops the router (drain, commit, leave) and exits 0.
 */
import pino from 'pino';
import { type BrokerSpec, createBroker } from '../../src/broker/index.ts';
import { jsonCodec } from '../../src/codec/json.ts';
import { Router } from '../../src/runtime/router.ts';

export interface CrashPlan {
  topic: string;
  group: string;
  failKeys: string[];
  delayMs: number;
  sessionTimeoutMs?: number;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const testLogger = pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }, pino.destination(2));

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as BrokerSpec;
  const plan = JSON.parse(process.argv[3]) as CrashPlan;
  const broker = await createBroker(spec, testLogger);
  await broker.start();
  const router = new Router({
    broker,
    logger: testLogger,
    concurrency: 8,
    commitIntervalMs: 50,
    retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 1_000_000, maxElapsedMs: 3_600_000 },
    consumer: plan.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: plan.sessionTimeoutMs },
  });
  router.handle<{ key: string; seq: number }>(
    plan.topic,
    plan.group,
    async (m) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * plan.delayMs));
      const line = { partition: m.partition, offset: m.offset, key: m.value.key, seq: m.value.seq };
      if (plan.failKeys.includes(m.value.key)) {
        emit({ event: 'failed', ...line });
        throw new Error(`${m.value.key} fails in this run`);
      }
      emit({ event: 'handled', ...line });
    },
    { codec: jsonCodec() },
  );
  // An idle embedded consumer holds no handle: keep the process alive until told to stop.
  const alive = setInterval(() => {}, 60_000);
  process.once('SIGTERM', () => {
    process.stderr.write('crash-child: SIGTERM, stopping\n');
    void router
      .stop()
      .then(() => broker.stop())
      .then(() => {
        clearInterval(alive);
        process.exit(0);
      });
  });
  await router.start();
  emit({ event: 'started' });
}

main().catch((err: unknown) => {
  emit({ event: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exit(1);
});

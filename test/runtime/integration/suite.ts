import { describe } from 'node:test';
import { backpressureTests } from './cases/backpressure.ts';
import { crashTests } from './cases/crash.ts';
import { dedupeTests } from './cases/dedupe.ts';
import { failureTests } from './cases/failures.ts';
import { hookTests } from './cases/hooks.ts';
import { observabilityTests } from './cases/observability.ts';
import { orderingTests } from './cases/ordering.ts';
import { replayTests } from './cases/replay.ts';
import { shutdownTests } from './cases/shutdown.ts';
import { type RuntimeSetup, testWith } from './harness.ts';

/** Every runtime integration case, on one broker. */
export function runtimeSuite(name: string, setup: RuntimeSetup): void {
  describe(`handler runtime on ${name}`, () => {
    const test = testWith(setup);
    orderingTests(test);
    failureTests(test);
    crashTests(test);
    shutdownTests(test);
    backpressureTests(test);
    dedupeTests(test);
    replayTests(test);
    observabilityTests(test);
    hookTests(test);
  });
}

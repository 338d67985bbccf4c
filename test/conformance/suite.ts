import { describe } from 'node:test';
import { adminTests } from './admin.ts';
import { coPartitioningTests } from './co-partitioning.ts';
import { compactionTests } from './compaction.ts';
import { crashTests } from './crash.ts';
import { errorTests } from './errors.ts';
import { groupTests } from './groups.ts';
import { testWith } from './helpers.ts';
import { lifecycleTests } from './lifecycle.ts';
import { listenerTests } from './listener.ts';
import { offsetTests } from './offsets.ts';
import { partitioningTests } from './partitioning.ts';
import { produceTests } from './produce.ts';
import { scaleTests } from './scale.ts';
import { tailReaderTests } from './tail-reader.ts';
import { transactionTests } from './transactions.ts';
import type { ConformanceSetup } from './types.ts';

export type { CompactionFeature, ConformanceFeatures, ConformanceSetup, RetentionFeature } from './types.ts';

/**
 * Registers the conformance suite for one broker implementation: every promise of the port (`src/broker/port.ts`)
 * as a test, each on a fresh broker from `setup.spec`. What a broker cannot do is declared in `setup.features`
 * and skipped with the reason, never silently.
 */
export function conformance(name: string, setup: ConformanceSetup): void {
  describe(`broker conformance: ${name}`, () => {
    const test = testWith(setup);
    produceTests(test);
    partitioningTests(test);
    listenerTests(test);
    groupTests(test);
    coPartitioningTests(test);
    transactionTests(test);
    tailReaderTests(test);
    offsetTests(test);
    compactionTests(test);
    adminTests(test);
    scaleTests(test);
    lifecycleTests(test);
    errorTests(test);
    crashTests(test);
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeSuite } from './suite.ts';

runtimeSuite('embedded', {
  async spec(t) {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-runtime-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    return { kind: 'embedded', dataDir };
  },
  timeoutMs: 15_000,
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processorCommitIntervalMs, UNCOMMITTED_READ_COMMIT_INTERVAL_MS } from '../../../services/wallet/index.ts';
import { configSchema, type WalletConfig } from '../../../services/wallet/config.ts';

const defaults = Object.fromEntries(Object.entries(configSchema).map(([k, f]) => [k, f.default])) as WalletConfig;

describe('wallet config: the processors’ commit interval', () => {
  it('is spaced in full only where the check reads the processors uncommitted in their own process', () => {
    assert.equal(processorCommitIntervalMs(defaults), UNCOMMITTED_READ_COMMIT_INTERVAL_MS, 'the default start');
    assert.equal(processorCommitIntervalMs({ ...defaults, checkIsolation: 'read_committed' }), undefined);
    for (const role of ['api', 'processors', 'balance', 'threshold', 'flagger'] as const) {
      assert.equal(processorCommitIntervalMs({ ...defaults, role }), undefined, `role ${role}: checks read committed`);
    }
  });
});

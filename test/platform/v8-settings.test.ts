import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const settings = fileURLToPath(new URL('../../src/platform/v8-settings.ts', import.meta.url));

/** Major collections while a child process allocates and drops 400 buffers of 1 MiB, with or without the settings. */
function majorCollections(apply: boolean): number {
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    ${apply ? `const { applyV8Settings } = await import(${JSON.stringify(settings)}); applyV8Settings();` : ''}
    let major = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    });
    observer.observe({ entryTypes: ['gc'] });
    for (let i = 0; i < 400; i++) {
      new Uint8Array(1 << 20)[0] = 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.stdout.write(String(major));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('V8 settings of the herald command', () => {
  it('buffers dropped by the hundred megabytes no longer force full collections of a small heap', () => {
    const without = majorCollections(false);
    const withSettings = majorCollections(true);
    assert.ok(without >= 2, `the baseline needs full collections to compare with (${without})`);
    assert.ok(withSettings < without, `with the settings ${withSettings} full collections, without ${without}`);
  });
});

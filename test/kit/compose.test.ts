import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compose, type Wrapper } from '../../src/kit/compose.ts';

describe('compose', () => {
  it('puts the first wrapper outermost', () => {
    const trace: string[] = [];
    const wrap =
      (name: string): Wrapper<(x: number) => number> =>
      (next) =>
      (x) => {
        trace.push(`${name}>`);
        const out = next(x + 1);
        trace.push(`<${name}`);
        return out;
      };
    const run = compose([wrap('a'), wrap('b')], (x: number) => x * 10);
    assert.equal(run(0), 20);
    assert.deepEqual(trace, ['a>', 'b>', '<b', '<a']);
  });

  it('is the inner function itself without wrappers', () => {
    const inner = (x: number) => x;
    assert.equal(compose([], inner), inner);
  });
});

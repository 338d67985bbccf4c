import assert from 'node:assert/strict';
import { it } from 'node:test';
import { overriding } from '../../src/kit/overriding.ts';

class Counter {
  #n = 0;
  readonly name = 'counter';
  get value(): number {
    return this.#n;
  }
  add(by: number): number {
    this.#n += by;
    return this.#n;
  }
  twice(): number {
    return this.add(2);
  }
}

it('answers overridden members with the overrides and the rest with the target, methods bound to it', () => {
  const target = new Counter();
  const seen: number[] = [];
  const decorated = overriding(target, new Map([['add', (by: number) => (seen.push(by), target.add(by * 10))]]));
  assert.equal(decorated.add(1), 10);
  const { twice } = decorated;
  assert.equal(twice(), 12, 'a method taken off the proxy still reaches private fields (and calls the target’s own add)');
  assert.equal(decorated.value, 12);
  assert.equal(decorated.name, 'counter');
  assert.deepEqual(seen, [1]);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortListeners } from '../../src/kit/abort-listeners.ts';

describe('AbortListeners', () => {
  it('hands a signal its items still registered when it aborts, once', () => {
    const calls: string[][] = [];
    const listeners = new AbortListeners<string>((items) => calls.push(items));
    const one = new AbortController();
    const other = new AbortController();
    listeners.add(one.signal, 'a');
    listeners.add(one.signal, 'b');
    listeners.add(one.signal, 'c');
    listeners.add(other.signal, 'x');
    listeners.delete(one.signal, 'b');
    one.abort();
    one.abort();
    assert.deepEqual(calls, [['a', 'c']]);
    other.abort();
    assert.deepEqual(calls, [['a', 'c'], ['x']]);
  });

  it('calls nothing for a signal whose items all finished', () => {
    const calls: number[][] = [];
    const listeners = new AbortListeners<number>((items) => calls.push(items));
    const controller = new AbortController();
    listeners.add(controller.signal, 1);
    listeners.delete(controller.signal, 1);
    controller.abort();
    assert.deepEqual(calls, []);
  });

  it('hands over at once an item registered under an aborted signal', () => {
    const calls: number[][] = [];
    const listeners = new AbortListeners<number>((items) => calls.push(items));
    listeners.add(AbortSignal.abort(), 7);
    assert.deepEqual(calls, [[7]]);
  });

  it('adds one listener per signal however many items it guards', () => {
    const controller = new AbortController();
    let added = 0;
    const signal = controller.signal;
    const original = signal.addEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<AbortSignal['addEventListener']>) => {
      added += 1;
      original(...args);
    }) as AbortSignal['addEventListener'];
    const listeners = new AbortListeners<number>(() => {});
    for (let i = 0; i < 1000; i++) listeners.add(signal, i);
    assert.equal(added, 1);
  });
});

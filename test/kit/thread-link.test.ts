import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { scriptBeside, ThreadLink } from '../../src/kit/thread-link.ts';

const logger = pino({ level: 'silent' });
const script = scriptBeside(import.meta.url, './fixtures/echo-thread');

type In = { type: 'say'; text: string; bytes?: ArrayBuffer };
type Out = { type: 'hello' } | { type: 'echo'; text: string };

function link(workerData: unknown = {}) {
  const received: Out[] = [];
  const exits: number[] = [];
  let waiting: (() => void) | undefined;
  const thread = new ThreadLink<In, Out>({
    script,
    workerData,
    name: 'echo thread',
    logger,
    onMessage: (message) => {
      received.push(message);
      waiting?.();
    },
    onExit: (code) => {
      exits.push(code);
      waiting?.();
    },
  });
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the thread');
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  return { thread, received, exits, until };
}

describe('ThreadLink', () => {
  it('names a module beside another with the same extension', () => {
    assert.ok(scriptBeside('file:///x/y/a.ts', './b').href.endsWith('/x/y/b.ts'));
    assert.ok(scriptBeside('file:///x/y/a.js', './b').href.endsWith('/x/y/b.js'));
  });

  it('starts a thread on the first post and closes it when asked', async () => {
    const { thread, received, exits, until } = link();
    thread.postIfRunning({ type: 'say', text: 'lost' });
    thread.post({ type: 'say', text: 'hi' });
    await until(() => received.some((m) => m.type === 'echo'));
    assert.deepEqual(
      received.filter((m) => m.type === 'echo'),
      [{ type: 'echo', text: 'hi' }],
      'nothing posted before a thread ran reached one',
    );
    await thread.close();
    assert.deepEqual(exits, [], 'a closed thread is not reported as exited');
  });

  it('moves the buffers it is told to transfer instead of copying them', async () => {
    const { thread, received, until } = link();
    const bytes = new ArrayBuffer(1024);
    thread.post({ type: 'say', text: 'moved', bytes }, [bytes]);
    assert.equal(bytes.byteLength, 0, 'detached here: the thread owns it now');
    await until(() => received.some((m) => m.type === 'echo'));
    await thread.close();
  });

  it('reports a thread that dies, and the next post starts another', async () => {
    const { thread, received, exits, until } = link({ exitOn: 'die' });
    thread.post({ type: 'say', text: 'die' });
    await until(() => exits.length === 1);
    assert.deepEqual(exits, [3]);
    thread.post({ type: 'say', text: 'again' });
    await until(() => received.some((m) => m.type === 'echo'));
    assert.equal(received.filter((m) => m.type === 'hello').length, 2);
    await thread.close();
  });
});

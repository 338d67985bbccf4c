/**
 * The write-behind thread of a SQLite store (started by `StoreWriter`): applies each request it is sent — the
 * changes and checkpoints of a turn's writes, in order — in one transaction on its own connection, and answers with
 * their ids, so that the SQLite work of committed batches stays off the event loop that processes records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CloseMessage, ClosedMessage } from '../kit/thread-link.ts';
import { SqliteStore } from './sqlite-store.ts';
import { type StoreWriterReply, type StoreWriterRequest, unpackChanges } from './store-writer.ts';

const port = parentPort!;
const store = new SqliteStore((workerData as { file: string }).file, { checked: true });
/** After a failed write, every later one fails too: applying them would move checkpoints past the lost changes. */
let broken: string | undefined;

port.on('message', (message: StoreWriterRequest | CloseMessage) => {
  if (message.type === 'close') {
    store.close();
    port.postMessage({ type: 'closed' } satisfies ClosedMessage);
    return;
  }
  const { ids } = message;
  if (broken !== undefined) {
    port.postMessage({ type: 'failed', ids, message: `an earlier write failed: ${broken}` } satisfies StoreWriterReply);
    return;
  }
  try {
    const changes = unpackChanges(message.changes);
    let at = 0;
    store.applyAll(
      message.counts.map((count, i) => {
        at += count;
        return { changes: changes.slice(at - count, at), checkpoints: new Map(message.checkpoints[i]) };
      }),
    );
    port.postMessage({ type: 'written', ids } satisfies StoreWriterReply);
  } catch (err) {
    broken = (err as Error).message;
    port.postMessage({ type: 'failed', ids, message: (err as Error).message } satisfies StoreWriterReply);
  }
});

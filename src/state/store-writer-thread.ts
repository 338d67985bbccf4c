/**
 * The write-behind thread of a SQLite store (started by `StoreWriter`): applies each write it is sent — changes
 * and checkpoints — in one transaction on its own connection, and answers with its id, so that the SQLite work of
 * committed batches stays off the event loop that processes records.
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
  if (broken !== undefined) {
    port.postMessage({ type: 'failed', id: message.id, message: `an earlier write failed: ${broken}` } satisfies StoreWriterReply);
    return;
  }
  try {
    store.apply({ changes: unpackChanges(message.changes), checkpoints: new Map(message.checkpoints) });
    port.postMessage({ type: 'written', id: message.id } satisfies StoreWriterReply);
  } catch (err) {
    broken = (err as Error).message;
    port.postMessage({ type: 'failed', id: message.id, message: (err as Error).message } satisfies StoreWriterReply);
  }
});

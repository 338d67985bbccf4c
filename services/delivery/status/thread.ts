/**
 * The status store's writing thread (a worker thread started by `StatusStore`): commits each batch of status
 * changes it is sent in one transaction and answers, so the SQLite work (and its checkpoints) stays off the event
 * loop that runs delivery.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromStatusThread, ToStatusThread } from './protocol.ts';
import { inTransaction, openStatusDb, type StatusWrite, writeStatements } from './schema.ts';

const port = parentPort!;
const db = openStatusDb((workerData as { file: string }).file);
const st = writeStatements(db);

function apply(write: StatusWrite): void {
  switch (write[0]) {
    case 'event':
      st.insertEvent.run(write[1], write[2], write[3]);
      return;
    case 'attempt':
      st.attempt.run(write[1], write[2], write[3], write[4], write[5], write[6]);
      return;
    case 'filtered':
      st.filtered.run(write[1], write[2], write[3]);
      return;
    case 'dead':
      st.dead.run(write[1], write[2], write[3], write[4]);
  }
}

function answer(message: FromStatusThread): void {
  port.postMessage(message);
}

/** SQLite's BUSY, LOCKED, IOERR, FULL and CANTOPEN: failures of the file system or of timing, not of the writes. */
const PASSING = new Set([5, 6, 10, 13, 14]);

function failed(seq: number, err: unknown): FromStatusThread {
  const code = (err as { errcode?: unknown }).errcode;
  return { type: 'done', seq, error: (err as Error).message, retriable: typeof code === 'number' && PASSING.has(code & 0xff) };
}

port.on('message', (message: ToStatusThread) => {
  switch (message.type) {
    case 'write':
      try {
        inTransaction(db, () => {
          for (const write of message.writes) apply(write);
        });
        answer({ type: 'done', seq: message.seq });
      } catch (err) {
        answer(failed(message.seq, err));
      }
      return;
    case 'purge':
      try {
        const ids = st.purgeable.all(message.cutoff, message.destinations, message.limit) as { id: string }[];
        inTransaction(db, () => {
          for (const { id } of ids) {
            st.deleteDeliveries.run(id);
            st.deleteEvent.run(id);
          }
        });
        answer({ type: 'done', seq: message.seq, purged: ids.length });
      } catch (err) {
        answer(failed(message.seq, err));
      }
      return;
    case 'close':
      db.close();
      answer({ type: 'closed' });
      port.close();
  }
});

/**
 * The posting thread's entry (a worker thread started by `PostingThread`): a `DestinationClient` per pool, requests
 * arriving and results leaving in batches, one message per event-loop turn each way.
 */
import { parentPort } from 'node:worker_threads';
import { TurnBatcher } from '#herald/kit';
import type { Attempt } from '../classify.ts';
import { DestinationClient } from './destination-client.ts';
import type { FromPoster, ToPoster } from './protocol.ts';

const port = parentPort!;
const clients = new Map<number, DestinationClient>();
const aborts = new Map<number, AbortController>();
/** Results of this turn, sent back in one message. */
const results = new TurnBatcher<[number, Attempt]>((batch) =>
  port.postMessage({ type: 'results', results: batch } satisfies FromPoster),
);

port.on('message', (message: ToPoster) => {
  switch (message.type) {
    case 'pool': {
      const { maxSockets, timeoutMs, keepAlive } = message.settings;
      clients.set(message.pool, new DestinationClient(maxSockets, timeoutMs, keepAlive));
      return;
    }
    case 'post':
      for (const [id, pool, url, body, headers] of message.requests) {
        const abort = new AbortController();
        aborts.set(id, abort);
        void clients
          .get(pool)!
          .post(url, Buffer.from(body, 'latin1'), headers, abort.signal)
          .then((attempt) => {
            aborts.delete(id);
            results.push([id, attempt]);
          });
      }
      return;
    case 'abort':
      for (const id of message.ids) aborts.get(id)?.abort();
      return;
    case 'close':
      for (const abort of aborts.values()) abort.abort();
      for (const client of clients.values()) client.close();
      port.postMessage({ type: 'closed' } satisfies FromPoster);
      port.close();
  }
});

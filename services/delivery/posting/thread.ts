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
/** How to stop each request in flight, by id. */
const stops = new Map<number, () => void>();
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
        let answered = false;
        const stop = clients.get(pool)!.start(url, Buffer.from(body, 'latin1'), headers, (attempt) => {
          answered = true;
          stops.delete(id);
          results.push([id, attempt]);
        });
        if (!answered) stops.set(id, stop);
      }
      return;
    case 'abort':
      for (const id of message.ids) stops.get(id)?.();
      return;
    case 'close':
      for (const stop of [...stops.values()]) stop();
      for (const client of clients.values()) client.close();
      port.postMessage({ type: 'closed' } satisfies FromPoster);
      port.close();
  }
});

/** The delivery guarantees on the embedded broker, against real HTTP destinations on loopback. */
import { describe, it } from 'node:test';
import {
  destinationDownIsolated,
  failingUserIsolated,
  orderedThroughRetries,
  permanentFailureThenReplay,
  retriesThenDeadInOrder,
} from './scenarios.ts';

describe('delivery on the embedded broker', { timeout: 120_000 }, () => {
  it('delivers every user’s events in order through retries, signed and keyed', (t) => orderedThroughRetries(t, {}));
  it('dead-letters a 4xx at once, goes on with the user, and replays in order', (t) =>
    permanentFailureThenReplay(t, {}));
  it('retries up to maxAttempts before the user’s next event, then dead', (t) => retriesThenDeadInOrder(t, {}));
  it('does not let a failing user hold back other users', (t) => failingUserIsolated(t, {}));
  it('does not let a down destination hold back the other one', (t) => destinationDownIsolated(t, {}));
});

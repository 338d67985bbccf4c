/** What `GET /events/{id}` shows of an event's delivery, and how a stored row becomes it. */

/** Where one event stands with one destination. */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** `GET /events/{id}`'s view of one destination. Times are ISO 8601 or null. */
export interface DestinationStatus {
  status: DeliveryState;
  attempts: number;
  lastError: string | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  /** Times the event was replayed here after it was dead (its first attempt after each replay counts). */
  replays: number;
  /** When the last replay was first attempted. */
  replayedAt: string | null;
}

export interface EventStatus {
  id: string;
  userId: string;
  receivedAt: string;
  destinations: Record<string, DestinationStatus>;
}

/** A row of the deliveries table. */
export interface DeliveryRow {
  destination: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  dead_at: number | null;
  replays: number;
  replayed_at: number | null;
}

/** Epoch milliseconds as ISO 8601, or null. */
export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A destination with nothing recorded yet. */
export function pendingStatus(): DestinationStatus {
  return {
    status: 'pending',
    attempts: 0,
    lastError: null,
    firstAttemptAt: null,
    lastAttemptAt: null,
    deliveredAt: null,
    deadAt: null,
    replays: 0,
    replayedAt: null,
  };
}

/** A stored row as `GET /events/{id}` shows it. */
export function destinationStatus(r: DeliveryRow): DestinationStatus {
  return {
    status: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    firstAttemptAt: iso(r.first_attempt_at),
    lastAttemptAt: iso(r.last_attempt_at),
    deliveredAt: iso(r.delivered_at),
    deadAt: iso(r.dead_at),
    replays: r.replays,
    replayedAt: iso(r.replayed_at),
  };
}

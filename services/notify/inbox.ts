/**
 * What the local sinks received, for the demo and for tests: `GET /notify/inbox`. Each sink reports a delivery with
 * the idempotency key the sender attached (the SMS `Idempotency-Key`, the email `Message-ID`); a key seen before is
 * counted as a duplicate and not listed twice — the sinks behave like a gateway that honours idempotency keys.
 */
import type { FastifyInstance } from 'fastify';
import { LruCache } from '#herald/kit';
import type { Channel } from './config.ts';

/** One message a local sink received. */
export interface InboxEntry {
  /** The idempotency key it arrived with; one entry per key. */
  key: string;
  request_id: string;
  to: string;
  subject?: string;
  text: string;
  receivedAt: string;
}

/** A channel's view: messages newest last (at most the configured size), and totals since start. */
export interface ChannelInbox {
  /** Distinct messages received. */
  received: number;
  /** Deliveries repeating a key already received. */
  duplicates: number;
  messages: InboxEntry[];
}

/** Keys remembered per channel for duplicate detection, as a multiple of the listed messages. */
const KEYS_PER_ENTRY = 100;

/**
 * Bounded, in-memory record of the local sinks' deliveries. Old entries fall off the list; their keys are remembered
 * a hundred times longer, so a redelivery long after still counts as a duplicate.
 */
export class SinkInbox {
  readonly #size: number;
  readonly #channels: Record<Channel, ChannelInbox & { keys: LruCache<string, true> }>;

  constructor(size: number) {
    this.#size = size;
    const box = () => ({ received: 0, duplicates: 0, messages: [], keys: new LruCache<string, true>(size * KEYS_PER_ENTRY) });
    this.#channels = { email: box(), sms: box() };
  }

  /** Records a delivery; returns `false` (and counts a duplicate) when its key was already received. */
  add(channel: Channel, entry: Omit<InboxEntry, 'receivedAt'>): boolean {
    const box = this.#channels[channel];
    if (box.keys.get(entry.key) !== undefined) {
      box.duplicates++;
      return false;
    }
    box.keys.set(entry.key, true);
    box.received++;
    box.messages.push({ ...entry, receivedAt: new Date().toISOString() });
    // Trimmed once it holds twice the size, not on every add: dropping the oldest entry of a full list at each add
    // moved the whole list and was 5% of `npm start`'s CPU under produce load.
    if (box.messages.length >= 2 * this.#size) box.messages.splice(0, box.messages.length - this.#size);
    return true;
  }

  /** A copy of one channel's view. */
  view(channel: Channel): ChannelInbox {
    const { received, duplicates, messages } = this.#channels[channel];
    return { received, duplicates, messages: messages.slice(-this.#size) };
  }
}

/** `GET /notify/inbox[?request_id=…]`: both channels, optionally only the messages of one request. */
export function registerInboxRoute(app: FastifyInstance, inbox: SinkInbox): void {
  app.get<{ Querystring: { request_id?: string } }>(
    '/notify/inbox',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { request_id: { type: 'string', minLength: 1 } },
          additionalProperties: false,
        },
      },
    },
    async (request) => {
      const filter = request.query.request_id;
      const pick = (channel: Channel): ChannelInbox => {
        const view = inbox.view(channel);
        if (filter !== undefined) view.messages = view.messages.filter((m) => m.request_id === filter);
        return view;
      };
      return { email: pick('email'), sms: pick('sms') };
    },
  );
}

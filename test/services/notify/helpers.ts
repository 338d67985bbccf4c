/** Shared pieces of the notify integration tests: requests, polling, config flags pointing at the test peers. */
import { randomUUID } from 'node:crypto';
import type { ProduceRequest } from '../../../services/notify/api.ts';
import { request } from '../../support/boot.ts';
import type { SmsGatewayPeer, SmtpPeer } from './peers.ts';

/** A valid produce request on `topic`; `over` replaces fields. */
export function notification(topic: string, over: Partial<ProduceRequest> = {}): ProduceRequest {
  const id = randomUUID();
  return {
    request_id: `req-${id}`,
    topic_name: topic,
    message_body: `Paid 42.00 EUR, ref ${id.slice(0, 8)}`,
    transaction_id: `txn-${id.slice(0, 8)}`,
    email: 'customer@example.com',
    phone: '+14155550123',
    customer_id: 'cust-1',
    ...over,
  };
}

/** POSTs to `/api/v1/produce`; asserts nothing. */
export function produce(url: string, body: unknown) {
  return request(`${url}/api/v1/produce`, 'POST', body);
}

/** Produces each body, requiring 201; resolves with the request ids. */
export async function produceAll(url: string, bodies: ProduceRequest[]): Promise<string[]> {
  for (const body of bodies) {
    const { status, body: answer } = await produce(url, body);
    if (status !== 201) throw new Error(`produce answered ${status}: ${JSON.stringify(answer)}`);
  }
  return bodies.map((b) => b.request_id);
}

/** Polls `check` until it returns a value other than `undefined`/`false`; fails after `timeoutMs` (a guard only). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Config flags sending notify's channels to the test peers, with short retry delays. */
export function peerFlags(smtp: SmtpPeer, sms: SmsGatewayPeer): Record<string, string> {
  return {
    'notify.smtp.host': '127.0.0.1',
    'notify.smtp.port': String(smtp.port),
    'notify.smtp.timeoutMs': '2000',
    'notify.sms.url': sms.url,
    'notify.sms.timeoutMs': '1000',
    'notify.retry.email.initialDelayMs': '50',
    'notify.retry.email.maxDelayMs': '500',
    'notify.retry.sms.initialDelayMs': '50',
    'notify.retry.sms.maxDelayMs': '500',
  };
}

/** The same flags as `--set key=value` arguments for a `herald start` child. */
export function asSetArgs(flags: Record<string, string>): string[] {
  return Object.entries(flags).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

/** Total records of a topic (sum of partition ends) through the admin API. */
export async function topicSize(url: string, topic: string): Promise<number> {
  const { status, body } = await request(`${url}/admin/topics/${topic}`);
  if (status !== 200) return 0;
  return (body.partitions as { latest: number }[]).reduce((sum, p) => sum + p.latest, 0);
}

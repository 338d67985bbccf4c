/**
 * The calls waiting for a Kafka transaction (`TransactionalCommitter.commit`): taken together up to a bound, turned
 * into one transaction's messages and offsets, and each settled with its own records' positions; and how the
 * transaction's requests that go out side by side are awaited ({@link allSucceeded}).
 */
import type { ClusterMetadata } from '@platformatic/kafka';
import type { CommitChain, OutgoingRecord, RecordPosition } from '../port.ts';
import { breakChain, checkChain } from '../rules.ts';
import { topicsMetadata } from './metadata.ts';
import { type PreparedMessages, toMessages } from './producer.ts';

/** Calls waiting for a transaction share one, up to this many records. */
export const MAX_RECORDS_PER_TRANSACTION = 50_000;

export interface PendingCall {
  records: OutgoingRecord[];
  positions: RecordPosition[];
  chain: CommitChain | undefined;
  resolve(positions: RecordPosition[]): void;
  reject(err: unknown): void;
}

/** Rejects `call`, breaking its chain first (see `CommitChain`): no later call of the chain is committed. */
export function failCall(call: PendingCall, err: unknown): void {
  breakChain(call.chain, err);
  call.reject(err);
}

/** A call with its records as messages. */
export interface PreparedCall {
  call: PendingCall;
  messages: PreparedMessages;
}

/** Takes from `pending` the calls of the next transaction (at least one, up to {@link MAX_RECORDS_PER_TRANSACTION} records). */
export function takeCalls(pending: PendingCall[]): { calls: PendingCall[]; records: number } {
  const calls: PendingCall[] = [];
  let records = 0;
  while (pending.length > 0 && (calls.length === 0 || records + pending[0].records.length <= MAX_RECORDS_PER_TRANSACTION)) {
    const call = pending.shift()!;
    records += call.records.length;
    calls.push(call);
  }
  return { calls, records };
}

/**
 * Runs `check` on each call's positions and turns its records into messages; a call that fails either is rejected
 * alone and left out of the transaction.
 */
export async function prepareCalls(
  producer: Parameters<typeof topicsMetadata>[0],
  calls: PendingCall[],
  check: (positions: RecordPosition[]) => void,
  roundRobin: Map<string, number>,
): Promise<PreparedCall[]> {
  const out: PreparedCall[] = [];
  const topics = [...new Set(calls.flatMap((c) => c.records.map((r) => r.topic)))];
  let shared: ClusterMetadata | undefined;
  try {
    if (topics.length > 0) shared = await topicsMetadata(producer, topics);
  } catch {
    // One call names a missing topic: look the topics up call by call below, so that only that call fails.
  }
  for (const call of calls) {
    try {
      checkChain(call.chain);
      check(call.positions);
      const callTopics = [...new Set(call.records.map((r) => r.topic))];
      const metadata = callTopics.length === 0 ? undefined : (shared ?? (await topicsMetadata(producer, callTopics)));
      const messages =
        metadata === undefined ? { messages: [], sizes: [], timestamps: [] } : toMessages(call.records, metadata, roundRobin);
      out.push({ call, messages });
    } catch (err) {
      failCall(call, err);
    }
  }
  return out;
}

/** The transaction's messages, in call order, and its offsets (the last position given per partition). */
export function mergeCalls(prepared: PreparedCall[]): { messages: PreparedMessages; offsets: RecordPosition[] } {
  const messages: PreparedMessages = { messages: [], sizes: [], timestamps: [] };
  const offsets = new Map<string, RecordPosition>();
  for (const { call, messages: m } of prepared) {
    messages.messages.push(...m.messages);
    messages.sizes.push(...m.sizes);
    messages.timestamps.push(...m.timestamps);
    for (const p of call.positions) offsets.set(`${p.topic}\0${p.partition}`, p);
  }
  return { messages, offsets: [...offsets.values()] };
}

/** Resolves each call with the positions of its own records among `written` (in the order of {@link mergeCalls}). */
export function settleCalls(prepared: PreparedCall[], written: RecordPosition[]): void {
  let at = 0;
  for (const { call, messages } of prepared) {
    call.resolve(written.slice(at, at + messages.messages.length));
    at += messages.messages.length;
  }
}

/**
 * Waits for every one of `tasks` (a transaction's requests sent side by side) to settle — nothing else goes out
 * meanwhile, an abort included — then rejects with the first failure or resolves with their values.
 */
export async function allSucceeded(tasks: unknown[]): Promise<unknown[]> {
  const outcomes = await Promise.allSettled(tasks);
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value);
}

/**
 * A bare Kafka protocol client for tests: sends requests built with the listener's own API schemas and reads the
 * answers, or sends arbitrary bytes. Real clients (kcat, Java, Go, @platformatic/kafka) check the schemas against
 * Kafka itself; this one checks behaviour the real clients do not let a test steer (pipelining, bad bytes, exact
 * error codes).
 */
import net from 'node:net';
import { API_BY_KEY } from '../../../../src/broker/embedded/kafka-protocol/apis/index.ts';
import { Reader } from '../../../../src/broker/embedded/kafka-protocol/wire/reader.ts';
import { decode, encode } from '../../../../src/broker/embedded/kafka-protocol/wire/schema.ts';
import { Writer } from '../../../../src/broker/embedded/kafka-protocol/wire/writer.ts';

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  SaslAuthenticate: 36,
} as const;

// Response bodies are whatever each test expects; they are checked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

/** A request frame (size prefix included) for `apiKey` at `version` with `body`. */
export function requestFrame(apiKey: number, version: number, correlationId: number, body: object, clientId = 'raw'): Buffer {
  const api = API_BY_KEY.get(apiKey)!;
  const flexible = version >= api.request.flexibleFrom;
  const w = new Writer().int16(apiKey).int16(version).int32(correlationId).string(clientId, false);
  if (flexible) w.uvarint(0);
  encode(api.request, w, version, body);
  const payload = w.toBuffer();
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

export class RawClient {
  readonly socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #correlation = 0;
  readonly #waiting = new Map<number, { apiKey: number; version: number; resolve(body: Body): void }>();
  /** Frames that matched no request (e.g. the empty answer to a bare SASL token). */
  readonly unmatched: Buffer[] = [];
  /** Resolves when the broker closes the connection. */
  readonly closed: Promise<void>;
  /** Correlation ids of answers, in the order they arrived. */
  readonly order: number[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 4) {
      const size = this.#buffer.readInt32BE(0);
      if (this.#buffer.length < 4 + size) return;
      const frame = this.#buffer.subarray(4, 4 + size);
      this.#buffer = this.#buffer.subarray(4 + size);
      if (frame.length < 4) {
        this.unmatched.push(frame);
        continue;
      }
      const correlationId = frame.readInt32BE(0);
      const waiter = this.#waiting.get(correlationId);
      if (waiter === undefined) {
        this.unmatched.push(frame);
        continue;
      }
      this.#waiting.delete(correlationId);
      this.order.push(correlationId);
      const api = API_BY_KEY.get(waiter.apiKey)!;
      const r = new Reader(frame, 4);
      // Response header v1 (tagged fields) for flexible versions, except ApiVersions.
      if (waiter.version >= api.response.flexibleFrom && waiter.apiKey !== ApiKey.ApiVersions) r.uvarint();
      waiter.resolve(decode(api.response, r, waiter.version));
    }
  }

  /** Sends one request and resolves with the decoded answer. */
  request(apiKey: number, version: number, body: object, clientId?: string): Promise<Body> {
    const correlationId = ++this.#correlation;
    const answer = this.expect(apiKey, version, correlationId);
    this.socket.write(requestFrame(apiKey, version, correlationId, body, clientId));
    return answer;
  }

  /** Registers interest in the answer to a request sent by other means (e.g. as part of a batch of frames). */
  expect(apiKey: number, version: number, correlationId: number): Promise<Body> {
    return new Promise((resolve) => this.#waiting.set(correlationId, { apiKey, version, resolve }));
  }

  nextCorrelationId(): number {
    return ++this.#correlation;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

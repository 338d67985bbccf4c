import { connect } from 'node:net';

/**
 * Just enough of the Kafka wire protocol to ask a port "are you a Kafka broker, and which brokers do you know?":
 * ApiVersions v0 (every broker answers it, whatever its version) then Metadata v4..v8, whose response starts with
 * the same fields in all those versions. A KRaft broker opens its client listener only once it has caught up with
 * the metadata log and been unfenced, so an answer means it can serve requests.
 */

const API_METADATA = 3;
const API_VERSIONS = 18;
const CLIENT_ID = 'herald-kafka-probe';

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface ProbeResult {
  /** The live, unfenced brokers the answering broker knows, from Metadata; empty if it refused Metadata. */
  readonly brokers: readonly BrokerAddress[];
  readonly clusterId: string | null;
}

/** A size-prefixed request with header v1 (api key, version, correlation id, client id). */
export function encodeRequest(apiKey: number, version: number, correlationId: number, body: Buffer): Buffer {
  const clientId = Buffer.from(CLIENT_ID, 'utf8');
  const header = Buffer.alloc(10 + clientId.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(clientId.length, 8);
  clientId.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length, 0);
  return Buffer.concat([size, header, body]);
}

/** The highest Metadata version in 4..8 that an ApiVersions v0 response body says the broker accepts. */
export function pickMetadataVersion(apiVersionsBody: Buffer): number | undefined {
  const errorCode = apiVersionsBody.readInt16BE(0);
  if (errorCode !== 0) return undefined;
  const count = apiVersionsBody.readInt32BE(2);
  for (let i = 0, at = 6; i < count; i++, at += 6) {
    if (apiVersionsBody.readInt16BE(at) !== API_METADATA) continue;
    const min = apiVersionsBody.readInt16BE(at + 2);
    const max = Math.min(apiVersionsBody.readInt16BE(at + 4), 8);
    return max >= Math.max(min, 4) ? max : undefined;
  }
  return undefined;
}

/** Brokers and cluster id from a Metadata v4..v8 response body (fields after cluster id are not read). */
export function parseMetadataBrokers(body: Buffer): ProbeResult {
  let at = 4; // throttle_time_ms
  const readString = (): string | null => {
    const length = body.readInt16BE(at);
    at += 2;
    if (length < 0) return null;
    const value = body.toString('utf8', at, at + length);
    at += length;
    return value;
  };
  const count = body.readInt32BE(at);
  at += 4;
  const brokers: BrokerAddress[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = body.readInt32BE(at);
    at += 4;
    const host = readString() ?? '';
    const port = body.readInt32BE(at);
    at += 4;
    readString(); // rack
    brokers.push({ nodeId, host, port });
  }
  return { brokers, clusterId: readString() };
}

/**
 * Asks `host:port` ApiVersions then Metadata.
 * @returns what the broker said, or undefined when nothing there speaks Kafka within `timeoutMs` (refused, reset,
 *   timed out or garbage). Never throws.
 */
export function probeBroker(host: string, port: number, timeoutMs = 2000): Promise<ProbeResult | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (result: ProbeResult | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('connect', () => socket.write(encodeRequest(API_VERSIONS, 0, 1, Buffer.alloc(0))));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const size = buffered.readInt32BE(0);
      if (size < 4 || size > 1 << 24) return finish(undefined);
      if (buffered.length < 4 + size) return;
      const correlationId = buffered.readInt32BE(4);
      const body = buffered.subarray(8, 4 + size);
      buffered = buffered.subarray(4 + size);
      try {
        if (correlationId === 1) {
          const version = pickMetadataVersion(body);
          if (version === undefined) return finish({ brokers: [], clusterId: null });
          // v4+ body: topics = null (all topics) then allow_auto_topic_creation = false; v8 adds two more booleans.
          const metadataBody = Buffer.alloc(version >= 8 ? 7 : 5);
          metadataBody.writeInt32BE(-1, 0);
          socket.write(encodeRequest(API_METADATA, version, 2, metadataBody));
        } else if (correlationId === 2) {
          finish(parseMetadataBrokers(body));
        } else {
          finish(undefined);
        }
      } catch {
        finish(undefined); // a truncated or foreign answer: not a Kafka broker we understand
      }
    });
  });
}

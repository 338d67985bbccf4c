import { HeraldError } from '../errors.ts';

/**
 * Confluent's framing of a protobuf record: magic byte 0x00, the schema id (4 bytes, big-endian), the message-index
 * path (a zigzag varint count followed by zigzag varint indexes; the common path `[0]` is the single byte 0x00),
 * then the message.
 */
export interface ConfluentFrame {
  schemaId: number;
  messageIndexes: number[];
  body: Uint8Array;
}

const MAGIC = 0;

/** `body` with the framing in front. */
export function frameConfluent(schemaId: number, messageIndexes: number[], body: Uint8Array): Buffer {
  const indexes: number[] =
    messageIndexes.length === 1 && messageIndexes[0] === 0 ? [0] : [messageIndexes.length, ...messageIndexes];
  const header: number[] = [MAGIC, (schemaId >>> 24) & 0xff, (schemaId >>> 16) & 0xff, (schemaId >>> 8) & 0xff];
  header.push(schemaId & 0xff);
  for (const n of indexes) writeZigzag(header, n);
  return Buffer.concat([Buffer.from(header), body]);
}

/** Splits a framed record; `HERALD_DECODE_FAILED` for a wrong magic byte or a truncated header. */
export function unframeConfluent(bytes: Buffer, name: string): ConfluentFrame {
  const fail = (why: string) => new HeraldError('HERALD_DECODE_FAILED', `${name}: not Confluent-framed: ${why}`);
  if (bytes.length < 6) throw fail(`only ${bytes.length} bytes`);
  if (bytes[0] !== MAGIC) throw fail(`magic byte is ${bytes[0]}, not 0`);
  const schemaId = bytes.readUInt32BE(1);
  const cursor = { at: 5 };
  const count = readZigzag(bytes, cursor, fail);
  const messageIndexes: number[] = [];
  if (count === 0) messageIndexes.push(0);
  else {
    if (count < 0 || count > 64) throw fail(`message-index count ${count}`);
    for (let i = 0; i < count; i++) messageIndexes.push(readZigzag(bytes, cursor, fail));
  }
  return { schemaId, messageIndexes, body: bytes.subarray(cursor.at) };
}

function writeZigzag(out: number[], n: number): void {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function readZigzag(bytes: Buffer, cursor: { at: number }, fail: (why: string) => Error): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (cursor.at >= bytes.length) throw fail('message indexes are truncated');
    const byte = bytes[cursor.at++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    scale *= 128;
  }
  throw fail('a message index is longer than 5 bytes');
}

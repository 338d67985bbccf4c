import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** A span as an OTLP/HTTP receiver decoded it. Ids are hex; times are epoch nanoseconds. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP's numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  start: bigint;
  end: bigint;
  attributes: Record<string, string | number | boolean>;
  events: { name: string; attributes: Record<string, string | number | boolean> }[];
  links: { traceId: string; spanId: string }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  service: string;
}

export const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/**
 * A real OTLP/HTTP traces receiver (`POST /v1/traces`, `application/x-protobuf`): it decodes each
 * ExportTraceServiceRequest from the wire format and keeps the spans. Closed when the test ends.
 */
export async function startOtlpReceiver(t: TestContext): Promise<{ url: string; spans: ReceivedSpan[]; requests: number }> {
  const state = { url: '', spans: [] as ReceivedSpan[], requests: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(415).end();
        return;
      }
      state.requests += 1;
      state.spans.push(...decodeExportRequest(Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return state;
}

type Fields = Map<number, unknown[]>;

/** Reads one message's fields: length-delimited ones as bytes, to be decoded by the caller who knows their type. */
function fields(bytes: Uint8Array): Fields {
  const reader = new BinaryReader(bytes);
  const out: Fields = new Map();
  while (reader.pos < reader.len) {
    const [number, wire] = reader.tag();
    let value: unknown;
    if (wire === WireType.LengthDelimited) value = reader.bytes();
    else if (wire === WireType.Varint) value = reader.uint64();
    else if (wire === WireType.Bit64) value = reader.fixed64();
    else if (wire === WireType.Bit32) value = reader.fixed32();
    else {
      reader.skip(wire, number);
      continue;
    }
    out.set(number, [...(out.get(number) ?? []), value]);
  }
  return out;
}

const text = (value: unknown) => (value === undefined ? '' : new TextDecoder().decode(value as Uint8Array));
const hex = (value: unknown) => (value === undefined ? '' : Buffer.from(value as Uint8Array).toString('hex'));
const all = (f: Fields, n: number) => (f.get(n) ?? []) as Uint8Array[];

function anyValue(bytes: Uint8Array): string | number | boolean {
  const f = fields(bytes);
  if (f.has(1)) return text(f.get(1)![0]);
  if (f.has(2)) return f.get(2)![0] !== 0n && f.get(2)![0] !== '0';
  if (f.has(3)) return Number(f.get(3)![0]);
  if (f.has(4)) return Buffer.from(new BigUint64Array([BigInt(f.get(4)![0] as bigint)]).buffer).readDoubleLE(0);
  return '';
}

function attributes(list: Uint8Array[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list) {
    const f = fields(kv);
    out[text(f.get(1)?.[0])] = f.has(2) ? anyValue(f.get(2)![0] as Uint8Array) : '';
  }
  return out;
}

function decodeExportRequest(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of all(fields(body), 1)) {
    const rs = fields(resourceSpans);
    const resource = rs.has(1) ? attributes(all(fields(rs.get(1)![0] as Uint8Array), 1)) : {};
    for (const scopeSpans of all(rs, 2)) {
      for (const span of all(fields(scopeSpans), 2)) {
        const s = fields(span);
        const status = s.has(15) ? fields(s.get(15)![0] as Uint8Array) : new Map();
        spans.push({
          traceId: hex(s.get(1)?.[0]),
          spanId: hex(s.get(2)?.[0]),
          parentSpanId: hex(s.get(4)?.[0]),
          name: text(s.get(5)?.[0]),
          kind: Number(s.get(6)?.[0] ?? 0),
          start: BigInt((s.get(7)?.[0] as bigint) ?? 0),
          end: BigInt((s.get(8)?.[0] as bigint) ?? 0),
          attributes: attributes(all(s, 9)),
          events: all(s, 11).map((event) => {
            const e = fields(event);
            return { name: text(e.get(2)?.[0]), attributes: attributes(all(e, 3)) };
          }),
          links: all(s, 13).map((link) => {
            const l = fields(link);
            return { traceId: hex(l.get(1)?.[0]), spanId: hex(l.get(2)?.[0]) };
          }),
          status: Number(status.get(3)?.[0] ?? 0),
          service: String(resource['service.name'] ?? ''),
        });
      }
    }
  }
  return spans;
}

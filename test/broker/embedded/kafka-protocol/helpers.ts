import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import pino from 'pino';
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import type { EmbeddedBrokerOptions } from '../../../../src/broker/embedded/options.ts';
import type { KafkaListenerOptions } from '../../../../src/broker/embedded/kafka-protocol/index.ts';
import { tempDir } from '../helpers.ts';
import { RawClient } from './raw-client.ts';

/** Log lines a broker wrote, parsed. */
export interface LogLines {
  lines: { level: number; msg: string; [key: string]: unknown }[];
  /** Lines whose message contains `text`. */
  matching(text: string): { level: number; msg: string; [key: string]: unknown }[];
}

export function captureLogs(): { logger: pino.Logger; logs: LogLines } {
  const lines: LogLines['lines'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  return { logger, logs: { lines, matching: (text) => lines.filter((l) => l.msg.includes(text)) } };
}

export interface ListeningBroker {
  broker: EmbeddedBroker;
  port: number;
  bootstrap: string;
  dataDir: string;
  logs: LogLines;
  /** A raw protocol connection, closed after the test. */
  connect(): Promise<RawClient>;
}

/** A started embedded broker listening for Kafka clients on a free loopback port; stopped after the test. */
export async function listening(
  t: TestContext,
  options: KafkaListenerOptions & { dataDir?: string; durability?: 'fsync' | 'os'; broker?: EmbeddedBrokerOptions } = {},
): Promise<ListeningBroker> {
  const { dataDir: given, durability, broker: tuning, ...listener } = options;
  const dataDir = given ?? tempDir(t);
  const { logger, logs } = captureLogs();
  const broker = createEmbeddedBroker(
    {
      ...tuning,
      kind: 'embedded',
      dataDir,
      durability: durability ?? 'os',
      kafkaListener: { listen: '127.0.0.1:0', initialRebalanceDelayMs: 0, ...listener },
    },
    logger,
  );
  t.after(() => broker.stop());
  await broker.start();
  const port = broker.kafkaListenerAddress()!.port;
  return {
    broker,
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    logs,
    async connect() {
      const client = await RawClient.connect(port);
      t.after(() => client.close());
      return client;
    },
  };
}

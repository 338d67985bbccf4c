import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { boot, type Running } from '../platform/boot.ts';
import type { ServiceDefinition } from '../platform/service.ts';

export interface TestHeraldOptions {
  /** Services to run (default none: the platform alone — admin API, health, metrics). */
  services?: ServiceDefinition[];
  /** Config keys by dotted name, e.g. `{ 'notify.smtp.host': 'mail.test' }`; applied over the test defaults. */
  config?: Record<string, string>;
  /** Where logs go; default nowhere (`log.level` is `silent` unless `config` says otherwise). */
  logStream?: NodeJS.WritableStream;
}

/** A Herald booted in this process for a test; `stop` ends it and removes its data directory. */
export interface TestHerald extends Running {
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Boots Herald in this process as `herald start` would, for tests: the embedded broker in a fresh temporary data
 * directory, HTTP on a free loopback port (`url`), no Kafka listener, silent logs, no environment or config file read. Call `stop`
 * when done (e.g. in `t.after`): it stops everything in reverse order and deletes the data directory.
 */
export async function startTestHerald(options: TestHeraldOptions = {}): Promise<TestHerald> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  let running: Running;
  try {
    running = await boot({
      services: options.services ?? [],
      env: {},
      flags: {
        'http.port': '0',
        'http.host': '127.0.0.1',
        dataDir,
        'log.level': 'silent',
        // No Kafka listener unless asked: a test's 127.0.0.1:9092 may well be a real Kafka.
        'broker.kafkaListener.listen': 'off',
        ...options.config,
      },
      logStream: options.logStream ?? new PassThrough(),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...running,
    dataDir,
    async stop() {
      try {
        await running.lifecycle.stop(10_000);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

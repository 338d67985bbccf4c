import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startDeployment } from '../../scripts/kafka/deployment.ts';
import type { KafkaSetupError } from '../../scripts/kafka/errors.ts';
import { kafkaLayout } from '../../scripts/kafka/layout.ts';
import { nodeFiles } from '../../scripts/kafka/node.ts';
import { probeBroker } from '../../scripts/kafka/protocol.ts';
import { waitUntilServing } from '../../scripts/kafka/readiness.ts';
import type { DeploymentSpec } from '../../scripts/kafka/topology.ts';
import { listening } from '../broker/embedded/kafka-protocol/helpers.ts';
import { kafkaCluster, kafkaSingle } from '../support/kafka.ts';

const SCRIPTS = join(import.meta.dirname, '..', '..', 'scripts', 'kafka');

/** A TCP server on a free port that hangs up on every connection: a port taken by something that is not Kafka. */
async function hangUpServer(t: { after: (fn: () => Promise<void>) => void }): Promise<number> {
  const server: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

function tempCache(t: { after: (fn: () => Promise<void>) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-kafka-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('local Kafka: error paths', () => {
  it('refuses to start on a port another process holds, in one line naming the port', async (t) => {
    const port = await hangUpServer(t);
    const spec: DeploymentSpec = {
      name: 'single',
      nodes: [{ id: 1, host: '127.0.0.1', brokerPort: port, controllerPort: port + 1, heapMb: 64 }],
      settings: {},
    };
    await assert.rejects(startDeployment(spec, { cacheDir: tempCache(t) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'KAFKA_PORT_TAKEN');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(node 1 broker\\) is taken`));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });

  it('reports a broker JVM that dies while starting, naming its log file', async (t) => {
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    const files = nodeFiles(kafkaLayout(tempCache(t)), 'single', 1);
    const node = { id: 1, host: '127.0.0.1', brokerPort: await hangUpServer(t), controllerPort: 1, heapMb: 64 };
    await assert.rejects(waitUntilServing([{ node, files, pid: child.pid ?? 0 }], 1, 5000), {
      code: 'KAFKA_NODE_EXITED',
      message: `Kafka node 1 exited while starting; see ${files.logFile}`,
    });
  });

  it('does not take another Kafka-speaking process on the port for the node it started', async (t) => {
    // Herald's embedded broker, whose Kafka listener also answers as node 1, took the port before the JVM bound it.
    const imposter = await listening(t);
    const files = nodeFiles(kafkaLayout(tempCache(t)), 'single', 1);
    mkdirSync(files.dataDir, { recursive: true });
    writeFileSync(join(files.dataDir, 'meta.properties'), 'version=1\ncluster.id=ours-1234\nnode.id=1\n');
    const node = { id: 1, host: '127.0.0.1', brokerPort: imposter.port, controllerPort: 1, heapMb: 64 };
    await assert.rejects(waitUntilServing([{ node, files, pid: process.pid }], 1, 5000), (err: KafkaSetupError) => {
      assert.equal(err.code, 'KAFKA_PORT_TAKEN');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${imposter.port} \\(node 1 broker\\) answers as cluster .+, not this node's ours-1234`));
      return true;
    });
  });

  it('does not take a port that hangs up for a Kafka broker', async (t) => {
    assert.equal(await probeBroker('127.0.0.1', await hangUpServer(t), 1000), undefined);
  });

  it('prints one line and exits 1 on a bad argument', async () => {
    const child = spawn(process.execPath, [join(SCRIPTS, 'down.ts'), '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.equal(stderr, 'kafka:down: unknown option --bogus (use --single and/or --cluster)\n');
  });
});

describe('test/support/kafka gates', () => {
  it('skips when no broker answers, and fails instead under HERALD_REQUIRE_KAFKA=1', async (t) => {
    const port = await hangUpServer(t);
    const skipped: string[] = [];
    const fake = { skip: (message?: string) => void skipped.push(message ?? '') };
    const env = { HERALD_TEST_KAFKA: `127.0.0.1:${port}`, HERALD_TEST_KAFKA_CLUSTER: `127.0.0.1:${port}` };
    assert.equal(await kafkaSingle(fake, env), undefined);
    assert.equal(await kafkaCluster(fake, env), undefined);
    assert.equal(skipped.length, 2);
    assert.match(
      skipped[0],
      new RegExp(`no Kafka single broker answers at 127\\.0\\.0\\.1:${port}: run npm run kafka:up`),
    );
    await assert.rejects(kafkaSingle(fake, { ...env, HERALD_REQUIRE_KAFKA: '1' }), /HERALD_REQUIRE_KAFKA=1/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clusterIdFromBytes, randomClusterId } from '../../scripts/kafka/cluster-id.ts';
import { firstError } from '../../scripts/kafka/jars.ts';
import { parseJavaMajor } from '../../scripts/kafka/java.ts';
import { kafkaLayout, POM_PATH, parseKafkaVersion } from '../../scripts/kafka/layout.ts';
import { log4j2Properties, renderProperties, serverProperties } from '../../scripts/kafka/properties.ts';
import { encodeRequest, parseMetadataBrokers, pickMetadataVersion } from '../../scripts/kafka/protocol.ts';
import { bootstrapServers, CLUSTER, nodeById, quorumVoters, SINGLE } from '../../scripts/kafka/topology.ts';

describe('local Kafka: pom and layout', () => {
  it('pins a Kafka 4.x release and the log4j2 jars Kafka leaves out of its poms', () => {
    const pom = readFileSync(POM_PATH, 'utf8');
    assert.match(parseKafkaVersion(pom), /^4\.\d+\.\d+$/);
    for (const artifact of ['kafka_2.13', 'kafka-tools', 'log4j-api', 'log4j-core', 'log4j-slf4j-impl']) {
      assert.ok(pom.includes(`<artifactId>${artifact}</artifactId>`), artifact);
    }
  });

  it('keeps jars and run data under the cache dir, per version', () => {
    const layout = kafkaLayout('/tmp/herald-cache');
    assert.equal(layout.jarsDir, `/tmp/herald-cache/kafka-${layout.version}/jars`);
    assert.equal(layout.runDir, '/tmp/herald-cache/run');
  });

  it('rejects a pom without kafka.version', () => {
    assert.throws(() => parseKafkaVersion('<project/>'), /kafka\.version/);
  });
});

describe('local Kafka: server.properties', () => {
  it('makes the single node a combined broker+controller on 9092/9093 with RF 1 internals', () => {
    const props = serverProperties(SINGLE, SINGLE.nodes[0], '/data');
    assert.equal(props.get('process.roles'), 'broker,controller');
    assert.equal(props.get('node.id'), '1');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:9093');
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:9092');
    assert.equal(props.get('log.dirs'), '/data');
    assert.equal(props.get('offsets.topic.replication.factor'), '1');
    assert.equal(props.get('transaction.state.log.replication.factor'), '1');
    assert.equal(props.get('transaction.state.log.min.isr'), '1');
    assert.equal(props.get('group.initial.rebalance.delay.ms'), '0');
    assert.equal(props.get('auto.create.topics.enable'), 'false');
    // Kafka refuses 1 MiB or less per cleaner thread.
    assert.ok(Number(props.get('log.cleaner.dedupe.buffer.size')) > 1024 * 1024);
    assert.equal(SINGLE.nodes[0].heapMb, 512);
  });

  it('makes the cluster a 3-voter quorum with RF 3, min ISR 2 and no unclean election', () => {
    assert.deepEqual(bootstrapServers(CLUSTER), ['127.0.0.1:19092', '127.0.0.1:29092', '127.0.0.1:31092']);
    assert.equal(quorumVoters(CLUSTER), '1@127.0.0.1:19093,2@127.0.0.1:29093,3@127.0.0.1:31093');
    const ports = new Set<number>();
    for (const node of CLUSTER.nodes) {
      const props = serverProperties(CLUSTER, node, `/data/${node.id}`);
      assert.equal(props.get('node.id'), String(node.id));
      assert.equal(props.get('advertised.listeners'), `PLAINTEXT://127.0.0.1:${node.brokerPort}`);
      assert.equal(props.get('default.replication.factor'), '3');
      assert.equal(props.get('min.insync.replicas'), '2');
      assert.equal(props.get('unclean.leader.election.enable'), 'false');
      assert.equal(props.get('offsets.topic.replication.factor'), '3');
      assert.equal(props.get('transaction.state.log.min.isr'), '2');
      assert.ok(node.heapMb <= 384);
      ports.add(node.brokerPort).add(node.controllerPort);
    }
    assert.equal(ports.size, 6);
  });

  it('renders java.util.Properties lines, escaping backslashes and line breaks', () => {
    const text = renderProperties(
      new Map([
        ['a', 'b'],
        ['path', 'C:\\x\ny'],
      ]),
      'header',
    );
    assert.equal(text, '# header\na=b\npath=C:\\\\x\\ny\n');
  });

  it('logs brokers at INFO and tools at WARN, to stdout', () => {
    assert.match(log4j2Properties('INFO'), /rootLogger\.level = INFO/);
    assert.match(log4j2Properties('WARN'), /rootLogger\.level = WARN/);
    assert.match(log4j2Properties('INFO'), /appender\.out\.type = Console/);
  });

  it('refuses a node the deployment does not have', () => {
    assert.equal(nodeById(CLUSTER, 2).brokerPort, 29092);
    assert.throws(() => nodeById(CLUSTER, 4), { code: 'KAFKA_BAD_ARGUMENT' });
  });
});

describe('local Kafka: cluster ids', () => {
  it('encodes 16 bytes as 22 base64url characters like Kafka Uuid.toString', () => {
    const id = clusterIdFromBytes(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    assert.equal(id, 'ABEiM0RVZneImaq7zN3u_w');
    assert.match(randomClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('never yields the zero id or one starting with "-"', () => {
    assert.equal(clusterIdFromBytes(new Uint8Array(16)), undefined);
    assert.equal(clusterIdFromBytes(Buffer.from('f8' + '00'.repeat(15), 'hex')), undefined);
  });
});

describe('local Kafka: wire probe', () => {
  it('frames a request with header v1', () => {
    const frame = encodeRequest(18, 0, 7, Buffer.alloc(0));
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    assert.equal(frame.readInt16BE(4), 18);
    assert.equal(frame.readInt16BE(6), 0);
    assert.equal(frame.readInt32BE(8), 7);
    assert.equal(frame.toString('utf8', 14), 'herald-kafka-probe');
  });

  it('picks the highest Metadata version between 4 and 8 that the broker accepts', () => {
    const apiVersions = (min: number, max: number) => {
      const body = Buffer.alloc(6 + 12);
      body.writeInt32BE(2, 2);
      body.writeInt16BE(0, 6); // Produce: not the one looked for
      body.writeInt16BE(3, 12);
      body.writeInt16BE(min, 14);
      body.writeInt16BE(max, 16);
      return body;
    };
    assert.equal(pickMetadataVersion(apiVersions(4, 13)), 8);
    assert.equal(pickMetadataVersion(apiVersions(0, 6)), 6);
    assert.equal(pickMetadataVersion(apiVersions(9, 13)), undefined);
  });

  it('reads brokers and cluster id from a Metadata response', () => {
    const host = Buffer.from('127.0.0.1');
    const parts = [Buffer.alloc(4), int32(2)];
    for (const [id, port] of [
      [1, 19092],
      [2, 29092],
    ]) {
      parts.push(int32(id), int16(host.length), host, int32(port), int16(-1));
    }
    parts.push(int16(4), Buffer.from('abcd'), int32(1));
    const result = parseMetadataBrokers(Buffer.concat(parts));
    assert.deepEqual(result, {
      brokers: [
        { nodeId: 1, host: '127.0.0.1', port: 19092 },
        { nodeId: 2, host: '127.0.0.1', port: 29092 },
      ],
      clusterId: 'abcd',
    });
  });
});

describe('local Kafka: tool output', () => {
  it('reads the Java major version from java -version', () => {
    assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
    assert.equal(parseJavaMajor('java version "1.8.0_392"'), 8);
    assert.equal(parseJavaMajor('nothing'), undefined);
  });

  it("keeps Maven's first error line", () => {
    const output = '[INFO] x\n\u001b[1;31m[ERROR]\u001b[m Could not resolve dependencies\n[ERROR] \n[ERROR] more';
    assert.equal(firstError(output), 'Could not resolve dependencies');
    assert.equal(firstError('just this\n'), 'just this');
  });
});

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value, 0);
  return b;
}

function int16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(value, 0);
  return b;
}

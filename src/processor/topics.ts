import type { Broker, TopicInfo } from '../broker/port.ts';
import { isHeraldError } from '../errors.ts';
import { deadLetterTopicName } from '../runtime/names.ts';
import { creates, createsLike, type TopicDeclaration, uses } from '../topology/declaration.ts';
import { invalid } from './invalid.ts';
import type { Topology } from './topology.ts';

/** Partitions of a processor's dead-letter topics, as the runtime's dead-letter middleware makes them. */
const DEAD_LETTER_PARTITIONS = 1;

/**
 * The topics a processor reads and writes, for the platform's declared topology: its inputs, outputs and the
 * tables it reads (used, not created), its changelog `<group>-table` (created compacted, partitioned like its
 * inputs) and a dead-letter topic per input (`<topic>.<group>.dlq`, created).
 */
export function processorTopics(topology: Topology<unknown, unknown, unknown>): TopicDeclaration[] {
  const owner = `processor ${topology.group}`;
  const inputs = [...topology.inputs.keys()];
  const out: TopicDeclaration[] = inputs.map((topic) => uses(owner, 'input', topic));
  for (const topic of topology.outputs.keys()) out.push(uses(owner, 'output', topic));
  for (const ref of topology.tables.values()) out.push(uses(owner, 'table', ref.topic));
  if (topology.table !== undefined) {
    out.push(createsLike(owner, 'changelog', inputs[0], { name: topology.tableTopic, compacted: true }));
  }
  for (const topic of inputs) {
    const name = deadLetterTopicName(topic, topology.group);
    out.push(creates(owner, 'dead-letter', { name, partitions: DEAD_LETTER_PARTITIONS }));
  }
  return out;
}

async function describe(broker: Broker, topic: string): Promise<TopicInfo | undefined> {
  try {
    return await broker.admin.describeTopic(topic);
  } catch (err) {
    if (isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) return undefined;
    throw err;
  }
}

/**
 * Checks a topology against the broker before anything runs and returns the partition count of its inputs: every
 * input must exist with the same partition count (co-partitioned), every joined table too, every looked-up table
 * and output must exist, and a changelog that exists already must be compacted and partitioned like the inputs
 * (one that does not is created by provisioning). Problems throw `HERALD_TOPOLOGY_INVALID`, all of them listed.
 */
export async function checkTopics(broker: Broker, topology: Topology<unknown, unknown, unknown>): Promise<number> {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const topic of topology.inputs.keys()) {
    const info = await describe(broker, topic);
    if (info === undefined) problems.push(`input ${topic} does not exist`);
    else counts.set(topic, info.partitions.length);
  }
  if (new Set(counts.values()).size > 1) {
    const list = [...counts].map(([t, n]) => `${t}: ${n}`).join(', ');
    problems.push(`inputs are not co-partitioned (partition counts ${list})`);
  }
  const partitions = counts.size > 0 ? Math.max(...counts.values()) : 0;
  for (const [name, ref] of topology.tables) {
    const info = await describe(broker, ref.topic);
    if (info === undefined) problems.push(`table ${name} does not exist (start its processor first)`);
    else if (ref.mode === 'join' && partitions > 0 && info.partitions.length !== partitions)
      problems.push(`join table ${name} has ${info.partitions.length} partitions, the inputs ${partitions}`);
  }
  for (const topic of topology.outputs.keys()) {
    if ((await describe(broker, topic)) === undefined) problems.push(`output ${topic} does not exist`);
  }
  if (topology.table !== undefined && partitions > 0) {
    const info = await describe(broker, topology.tableTopic);
    if (info !== undefined && info.partitions.length !== partitions)
      problems.push(`changelog ${topology.tableTopic} has ${info.partitions.length} partitions, the inputs ${partitions}`);
    if (info !== undefined && !info.compacted) problems.push(`changelog ${topology.tableTopic} is not compacted`);
  }
  if (problems.length > 0) throw invalid(topology.group, problems);
  return partitions;
}

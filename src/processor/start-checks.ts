import type { Broker, TopicInfo } from '../broker/port.ts';
import { isHeraldError } from '../errors.ts';
import { deadLetterTopicName } from '../runtime/names.ts';
import { invalid, type Topology } from './topology.ts';

/** What a processor learned about its topics at start. */
export interface StartPlan {
  /** Partitions of every input (they are co-partitioned). */
  partitions: number;
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
 * Checks a topology against the broker before anything runs, and creates what the processor owns: every input
 * must exist with the same partition count (co-partitioned), every joined table too, every looked-up table must
 * exist; the changelog `<group>-table` is created compacted with the inputs' partition count (an existing one with
 * another count is refused), and the dead-letter topics of the inputs exist before the first commit needs them.
 * Problems throw `HERALD_TOPOLOGY_INVALID`, all of them listed.
 */
export async function prepareTopics(
  broker: Broker,
  topology: Topology<unknown, unknown, unknown>,
  options: { dlqPartitions?: number; replicationFactor?: number } = {},
): Promise<StartPlan> {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const topic of topology.inputs.keys()) {
    const info = await describe(broker, topic);
    if (info === undefined) problems.push(`input ${topic} does not exist`);
    else counts.set(topic, info.partitions.length);
  }
  const distinct = new Set(counts.values());
  if (distinct.size > 1) {
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
    const info = await describe(broker, topic);
    if (info === undefined) problems.push(`output ${topic} does not exist`);
  }
  if (topology.table !== undefined && partitions > 0) {
    const info = await describe(broker, topology.tableTopic);
    if (info !== undefined && info.partitions.length !== partitions)
      problems.push(`changelog ${topology.tableTopic} has ${info.partitions.length} partitions, the inputs ${partitions}`);
    if (info !== undefined && !info.compacted) problems.push(`changelog ${topology.tableTopic} is not compacted`);
  }
  if (problems.length > 0) throw invalid(topology.group, problems);
  if (topology.table !== undefined) {
    await broker.admin.ensureTopic({
      name: topology.tableTopic,
      partitions,
      compacted: true,
      ...(options.replicationFactor ? { replicationFactor: options.replicationFactor } : {}),
    });
  }
  for (const topic of topology.inputs.keys()) {
    await broker.admin.ensureTopic({
      name: deadLetterTopicName(topic, topology.group),
      partitions: options.dlqPartitions ?? 1,
    });
  }
  return { partitions };
}

import { dirname } from 'node:path';
import { seconds } from './cli.ts';
import type { DeploymentInfo } from './deployment.ts';

/** One line saying what a start did, e.g. "Kafka 4.3.1 single node up at 127.0.0.1:9092 in 3.1 s (...)". */
export function describeStart(info: DeploymentInfo): string {
  const what = info.name === 'single' ? 'single node' : `${info.nodes.length}-node cluster`;
  const at = info.bootstrapServers.join(',');
  const pids = info.nodes.map((n) => n.pid).join(', ');
  const logs = info.nodes.length === 1 ? info.nodes[0].logFile : dirname(dirname(info.nodes[0].logFile));
  switch (info.outcome) {
    case 'external':
      return `A Kafka broker not started by these scripts already answers at ${at}; leaving it as it is`;
    case 'already-running':
      return `Kafka ${what} already up at ${at} (pid ${pids})`;
    case 'resumed':
      return `Kafka ${what} up at ${at} in ${seconds(info.elapsedMs)} s: restarted stopped node(s) with their data (pid ${pids}; logs ${logs})`;
    case 'started':
      return `Kafka ${info.kafkaVersion} ${what} up at ${at} in ${seconds(info.elapsedMs)} s with fresh data (pid ${pids}; logs ${logs})`;
  }
}

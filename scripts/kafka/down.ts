import { printLine, runCli } from './cli.ts';
import { KafkaSetupError } from './errors.ts';
import { stopCluster, stopSingle } from './index.ts';

// npm run kafka:down [-- --single | --cluster] — stops the local brokers (both deployments by default).
await runCli('kafka:down', async () => {
  const args = process.argv.slice(2);
  const unknown = args.find((a) => a !== '--single' && a !== '--cluster');
  if (unknown !== undefined) {
    throw new KafkaSetupError('KAFKA_BAD_ARGUMENT', `unknown option ${unknown} (use --single and/or --cluster)`);
  }
  const all = args.length === 0;
  const stops: [string, () => Promise<number[]>][] = [];
  if (all || args.includes('--single')) stops.push(['single node', stopSingle]);
  if (all || args.includes('--cluster')) stops.push(['cluster', stopCluster]);
  for (const [label, stop] of stops) {
    const stopped = await stop();
    printLine(
      stopped.length === 0 ? `Kafka ${label}: not running` : `Kafka ${label}: stopped node(s) ${stopped.join(', ')}`,
    );
  }
});

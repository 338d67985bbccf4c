import { printLine, runCli } from './cli.ts';
import { describeStart } from './describe.ts';
import { startCluster } from './index.ts';

// npm run kafka:cluster — three KRaft broker+controller nodes on 127.0.0.1:19092/29092/31092.
await runCli('kafka:cluster', async () => {
  printLine(describeStart(await startCluster({ log: printLine })));
});

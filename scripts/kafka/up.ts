import { printLine, runCli } from './cli.ts';
import { describeStart } from './describe.ts';
import { startSingle } from './index.ts';

// npm run kafka:up — one KRaft broker+controller on 127.0.0.1:9092, fresh data unless already running.
await runCli('kafka:up', async () => {
  printLine(describeStart(await startSingle({ log: printLine })));
});

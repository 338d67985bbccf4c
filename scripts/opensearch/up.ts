import { printLine, runCli, seconds } from '../kafka/cli.ts';
import { startOpenSearch } from './server.ts';

// npm run opensearch:up — one local OpenSearch node on 127.0.0.1:29200 (fetched from Maven Central once).
await runCli('opensearch:up', async () => {
  const info = await startOpenSearch(undefined, printLine);
  printLine(
    info.outcome === 'already-running'
      ? `OpenSearch already up at ${info.url}`
      : `OpenSearch ${info.version} up at ${info.url} in ${seconds(info.elapsedMs)} s (log ${info.logFile})`,
  );
});

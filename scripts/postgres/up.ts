import { printLine, runCli, seconds } from '../kafka/cli.ts';
import { startPostgres } from './server.ts';

// npm run pg:up — the local PostgreSQL on 127.0.0.1:25432 (initialised on first use), left running.
await runCli('pg:up', async () => {
  const info = await startPostgres(undefined, printLine);
  printLine(
    info.outcome === 'already-running'
      ? `PostgreSQL already up at ${info.url}`
      : `PostgreSQL up at ${info.url} in ${seconds(info.elapsedMs)} s (data ${info.dataDir}; log ${info.logFile})`,
  );
});

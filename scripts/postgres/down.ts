import { printLine, runCli } from '../kafka/cli.ts';
import { stopPostgres } from './server.ts';

// npm run pg:down — stops the local PostgreSQL; its data stays for the next pg:up.
await runCli('pg:down', async () => {
  printLine((await stopPostgres()) ? 'PostgreSQL stopped' : 'PostgreSQL: not running');
});

import { printLine, runCli } from '../kafka/cli.ts';
import { stopOpenSearch } from './server.ts';

// npm run opensearch:down — stops the local OpenSearch node; its data stays for the next opensearch:up.
await runCli('opensearch:down', async () => {
  printLine((await stopOpenSearch()) ? 'OpenSearch stopped' : 'OpenSearch: not running');
});

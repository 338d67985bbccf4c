#!/usr/bin/env node
import { services } from '../services/index.ts';
import { main } from '../src/cli/main.ts';
import { applyV8Settings } from '../src/platform/v8-settings.ts';

applyV8Settings();

// A reader that goes away (`herald consume t | head -5`) ends the command quietly, as it does for any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
// Ctrl-C stops a long-running command (consume --follow) cleanly, a second one at once; `herald start` handles its
// signals itself.
const interrupted = new AbortController();
if (process.argv[2] !== 'start') {
  process.on('SIGINT', () => (interrupted.signal.aborted ? process.exit(130) : interrupted.abort()));
}

const code = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupted.signal },
  services,
);
process.exitCode = code;
// Lingering handles (sockets, client timers) must not keep a finished command alive; exit once stdout is flushed.
process.stdout.write('', () => process.exit(code));

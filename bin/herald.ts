#!/usr/bin/env node
import { services } from '../services/index.ts';
import { main } from '../src/cli/main.ts';

const code = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  services,
);
process.exitCode = code;
// Lingering handles (sockets, client timers) must not keep a finished command alive; exit once stdout is flushed.
process.stdout.write('', () => process.exit(code));

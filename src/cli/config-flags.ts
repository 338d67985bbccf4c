import type { ParseArgsConfig } from 'node:util';
import type { Parsed } from './command.ts';

/** Flags that set config keys, shared by every command that loads config. */
export const CONFIG_FLAGS = {
  port: 'http.port',
  host: 'http.host',
  'data-dir': 'dataDir',
  broker: 'broker.url',
  'log-level': 'log.level',
  'log-file': 'log.file',
  'log-format': 'log.format',
} as const;

export const configOptions = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map((flag) => [flag, { type: 'string' }])),
} satisfies NonNullable<ParseArgsConfig['options']>;

export const CONFIG_HELP = [
  '  -c, --config FILE     config file (.yaml, .yml or .json)',
  '  --port N              HTTP port (default 8080)',
  '  --host ADDR           HTTP bind address (default 127.0.0.1)',
  '  --data-dir DIR        embedded broker and local state (default ./data)',
  '  --broker URL          embedded (default) or kafka://host:port[,host:port…]',
  '  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent',
  '  --log-format FORMAT   auto (pretty on a terminal, JSON otherwise)|pretty|json',
  '  --log-file FILE       also log to FILE, rotated by size and time',
  '  --set KEY=VALUE       any config key, e.g. --set shutdown.timeoutMs=5000 (repeatable)',
];

/** Config flag values as dotted keys, for `loadConfig`'s `flags` source. `--set` pairs come first; named flags win. */
export function flagsToConfig(values: Parsed['values']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (values.set as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    out[at > 0 ? pair.slice(0, at) : pair] = at > 0 ? pair.slice(at + 1) : '';
  }
  for (const [flag, key] of Object.entries(CONFIG_FLAGS)) {
    const value = values[flag];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { HeraldError } from '../errors.ts';
import { isSecretName, MASK, maskSecrets } from '../kit/secrets.ts';
import { type Field, isRejection } from './fields.ts';
import type { ConfigOf, Schema } from './schema.ts';

/** Where config values come from; later sources win: defaults < file < env < flags. */
export interface ConfigSources {
  /** Path of a `.yaml`/`.yml`/`.json` config file. */
  file?: string;
  /** Process environment; variables `HERALD_<SECTION>__<KEY>` set config keys. */
  env?: Record<string, string | undefined>;
  /** Command-line values by dotted key, e.g. `{ 'http.port': '9000' }`. */
  flags?: Record<string, string>;
}

/** Environment variables under the `HERALD_` prefix that are not config keys (tooling and test switches). */
const NON_CONFIG_ENV = /^HERALD_(TEST_|REQUIRE_|CACHE_DIR$|BENCH_)/;

/** Thrown when any source holds a bad value; `problems` has one line per problem. */
export class ConfigError extends HeraldError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('HERALD_CONFIG_INVALID', `invalid configuration:\n${problems.join('\n')}`, { details: problems });
    this.problems = problems;
  }
}

const isField = (node: Field<unknown> | Schema): node is Field<unknown> => node.kind === 'field';
/** `SNAKE_CASE` or `snake_case` to camelCase; keys already in camelCase are kept as they are. */
const camel = (s: string) =>
  s.includes('_') || s === s.toUpperCase()
    ? s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    : s;
/**
 * A rejected value as a problem line shows it — never a secret: the whole value when its key is secret-bearing
 * (whatever its type: an unquoted numeric password is still a password), else with every secret inside masked
 * (`maskSecrets`), and structured text that does not parse only by its length, as it may hold anything.
 */
function show(path: string[], raw: unknown, fromText: boolean): string {
  if (path.some(isSecretName)) return MASK;
  let value = raw;
  if (fromText && typeof raw === 'string' && /^\s*[[{]/.test(raw)) {
    try {
      value = JSON.parse(raw);
    } catch {
      return `(${raw.length} characters that are not valid JSON)`;
    }
  }
  const masked = maskSecrets(value);
  return JSON.stringify(masked) ?? String(masked);
}

function defaults(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(schema)) out[key] = isField(node) ? node.default : defaults(node);
  return out;
}

/** Finds the field at `path` (camelCase segments), or undefined. */
function lookup(schema: Schema, path: string[]): Field<unknown> | undefined {
  let node: Field<unknown> | Schema = schema;
  for (const segment of path) {
    if (isField(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return isField(node) ? node : undefined;
}

function assign(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  node[path[path.length - 1]] = value;
}

/**
 * Loads config for `schema` from its sources. Collects every problem (unknown key, bad type, bad env or flag
 * value) before failing, so a user sees them all at once.
 * @throws ConfigError listing one line per problem: the key, the bad value, where it came from, what was expected.
 */
export function loadConfig<S extends Schema>(schema: S, sources: ConfigSources = {}): ConfigOf<S> {
  const config = defaults(schema);
  const problems: string[] = [];
  const set = (path: string[], raw: unknown, fromText: boolean, origin: string) => {
    const key = path.join('.');
    const field = lookup(schema, path);
    if (!field) return problems.push(`${key}: unknown key (from ${origin})`);
    const value = field.parse(raw, fromText);
    if (isRejection(value))
      return problems.push(`${key}: ${show(path, raw, fromText)} is not valid (from ${origin}); expected ${value.expected}`);
    assign(config, path, value);
  };

  if (sources.file) {
    const walk = (node: unknown, path: string[]) => {
      const field = path.length > 0 ? lookup(schema, path) : undefined;
      if (!field && node !== null && typeof node === 'object' && !Array.isArray(node)) {
        for (const [key, child] of Object.entries(node)) walk(child, [...path, camel(key)]);
      } else set(path, node, false, sources.file!);
    };
    walk(readConfigFile(sources.file, problems), []);
  }
  for (const [name, raw] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith('HERALD_') || NON_CONFIG_ENV.test(name) || raw === undefined) continue;
    set(name.slice('HERALD_'.length).split('__').map(camel), raw, true, name);
  }
  for (const [key, raw] of Object.entries(sources.flags ?? {})) set(key.split('.'), raw, true, 'command line');

  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<S>;
}

function readConfigFile(file: string, problems: string[]): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  try {
    const parsed = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    problems.push(`config file ${file}: expected a mapping of keys at the top level`);
  } catch (err) {
    problems.push(
      `config file ${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`,
    );
  }
  return {};
}

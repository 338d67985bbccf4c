import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The committed pom whose `kafka.version` property pins the Kafka release. */
export const POM_PATH = join(import.meta.dirname, 'pom.xml');

/**
 * Where a Kafka release lives on disk. Everything is under the cache dir, outside git: jars are shared by every
 * checkout, and run/ holds the data, logs and pid files of the nodes these scripts start.
 */
export interface KafkaLayout {
  readonly version: string;
  readonly cacheDir: string;
  /** `<cacheDir>/kafka-<version>` */
  readonly kafkaHome: string;
  /** The runtime classpath: every jar Kafka needs, flat. */
  readonly jarsDir: string;
  /** Written only after a complete copy, so an interrupted provision is redone rather than half-used. */
  readonly jarsMarker: string;
  /** `<cacheDir>/run`: one folder per deployment (single, cluster), one per node inside. */
  readonly runDir: string;
}

/** `$HERALD_CACHE_DIR` when set and non-empty, else `~/.cache/herald`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.HERALD_CACHE_DIR?.trim();
  return fromEnv ? fromEnv : join(homedir(), '.cache', 'herald');
}

/**
 * The `kafka.version` property of a pom's text.
 * @throws Error when the property is missing (the pom is the single source of truth, so that is a bug).
 */
export function parseKafkaVersion(pomXml: string): string {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml);
  if (!match) throw new Error('scripts/kafka/pom.xml has no <kafka.version> property');
  return match[1];
}

/** The layout for the pinned Kafka version under `cacheDir` (default {@link defaultCacheDir}). */
export function kafkaLayout(cacheDir: string = defaultCacheDir()): KafkaLayout {
  const version = parseKafkaVersion(readFileSync(POM_PATH, 'utf8'));
  const kafkaHome = join(cacheDir, `kafka-${version}`);
  return {
    version,
    cacheDir,
    kafkaHome,
    jarsDir: join(kafkaHome, 'jars'),
    jarsMarker: join(kafkaHome, 'jars.complete'),
    runDir: join(cacheDir, 'run'),
  };
}

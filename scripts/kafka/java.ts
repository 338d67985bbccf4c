import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaSetupError } from './errors.ts';

/** Kafka 4 brokers and tools need Java 17 or newer. */
const MIN_JAVA = 17;

/** `$JAVA_HOME/bin/java` when JAVA_HOME points at a JDK, else `java` from PATH. */
export function javaExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.JAVA_HOME?.trim();
  if (home && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  return 'java';
}

/** The major version in `java -version` output (`"17.0.15"` → 17, legacy `"1.8.0_392"` → 8). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/**
 * Checks that a usable Java runs and returns its executable.
 * @throws KafkaSetupError `KAFKA_JAVA_MISSING` when java is absent or older than 17.
 */
export function requireJava(env: NodeJS.ProcessEnv = process.env): string {
  const java = javaExecutable(env);
  const run = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (run.error) {
    throw new KafkaSetupError(
      'KAFKA_JAVA_MISSING',
      `java not found (${java}): install a JDK ${MIN_JAVA}+ (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME`,
    );
  }
  const major = parseJavaMajor(`${run.stderr}${run.stdout}`);
  if (major !== undefined && major < MIN_JAVA) {
    throw new KafkaSetupError('KAFKA_JAVA_MISSING', `${java} is Java ${major}; Kafka 4 needs Java ${MIN_JAVA}+`);
  }
  return java;
}

/**
 * Checks that Maven runs and returns its executable (`mvn` from PATH).
 * @throws KafkaSetupError `KAFKA_MAVEN_MISSING` when it does not.
 */
export function requireMaven(): string {
  const run = spawnSync('mvn', ['--version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new KafkaSetupError('KAFKA_MAVEN_MISSING', 'mvn not found: install Maven (apt-get install maven)');
  }
  return 'mvn';
}

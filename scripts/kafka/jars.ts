import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printLine, runCli } from './cli.ts';
import { KafkaSetupError } from './errors.ts';
import { requireMaven } from './java.ts';
import type { KafkaLayout } from './layout.ts';
import { kafkaLayout, POM_PATH } from './layout.ts';
import { withLock } from './lock.ts';
import { runTool } from './process.ts';

/**
 * Makes sure the Kafka jars of `layout.version` are in `layout.jarsDir`, copying them from Maven (its local
 * repository, else Maven Central) when the completion marker is missing. Safe to call concurrently.
 * @returns the jars directory, ready for `java -cp '<dir>/*'`.
 * @throws KafkaSetupError `KAFKA_MAVEN_MISSING` or `KAFKA_PROVISION_FAILED` (with Maven's first error line).
 */
export async function ensureJars(layout: KafkaLayout, log: (line: string) => void = () => {}): Promise<string> {
  if (existsSync(layout.jarsMarker)) return layout.jarsDir;
  return withLock(`${layout.kafkaHome}.lock`, async () => {
    if (existsSync(layout.jarsMarker)) return layout.jarsDir; // provisioned while we waited
    const mvn = requireMaven();
    log(`Fetching Kafka ${layout.version} jars with Maven into ${layout.jarsDir} ...`);
    await mkdir(layout.kafkaHome, { recursive: true });
    // Copy into a scratch dir and rename, so a crash never leaves a half-filled jars dir that looks usable.
    const scratch = join(layout.kafkaHome, `jars.partial-${process.pid}`);
    await rm(scratch, { recursive: true, force: true });
    const args = ['-B', '-q', '-f', POM_PATH, 'dependency:copy-dependencies', '-DincludeScope=runtime'];
    const run = await runTool(mvn, [...args, `-DoutputDirectory=${scratch}`], layout.kafkaHome);
    if (run.code !== 0) {
      await rm(scratch, { recursive: true, force: true });
      throw new KafkaSetupError('KAFKA_PROVISION_FAILED', `mvn could not fetch Kafka jars: ${firstError(run.output)}`);
    }
    await rm(layout.jarsDir, { recursive: true, force: true });
    await rename(scratch, layout.jarsDir);
    const jars = (await readdir(layout.jarsDir)).filter((f) => f.endsWith('.jar')).length;
    await writeFile(layout.jarsMarker, `kafka ${layout.version}: ${jars} jars, ${new Date().toISOString()}\n`);
    log(`Kafka ${layout.version}: ${jars} jars in ${layout.jarsDir}`);
    return layout.jarsDir;
  });
}

/** Maven's first `[ERROR]` line without the prefix and colour codes, else its last non-empty line. */
export function firstError(mavenOutput: string): string {
  // eslint-disable-next-line no-control-regex -- stripping ANSI colour escapes is the point
  const lines = mavenOutput.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const error = lines.find((l) => l.startsWith('[ERROR]') && l.length > '[ERROR] '.length);
  const last = lines.filter((l) => l.trim()).at(-1);
  return (error?.slice('[ERROR] '.length) ?? last ?? 'no output').trim();
}

if (import.meta.main) {
  await runCli('kafka:jars', async () => {
    const layout = kafkaLayout();
    const already = existsSync(layout.jarsMarker);
    const dir = await ensureJars(layout, printLine);
    if (already) printLine(`Kafka ${layout.version} jars already in ${dir}`);
  });
}

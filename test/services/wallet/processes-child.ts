/**
 * Wallet parts in a child process, booted as `herald start wallet --set wallet.role=…` would, so that tests can
 * SIGKILL them. Args (JSON): config flags (dotted keys), then the groups whose progress it reports. Prints
 * `{"event":"started"}` once booted, then `{"event":"done"}` once every named group has committed each of its input
 * partitions to the input's end (read then), and keeps running (the test kills or stops it).
 */
import { PassThrough } from 'node:stream';
import { walletService } from '../../../services/wallet/index.ts';
import { boot } from '../../../src/platform/boot.ts';

const [flags, groups] = process.argv.slice(2).map((a) => JSON.parse(a)) as [Record<string, string>, [string, string][]];
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);

try {
  const running = await boot({
    services: [walletService],
    env: {},
    flags: { 'http.port': '0', 'http.host': '127.0.0.1', 'log.level': 'silent', ...flags },
    logStream: process.env.HERALD_TEST_LOG ? process.stderr : new PassThrough(),
  });
  say({ event: 'started', url: running.url });
  const { admin } = running.broker;
  let reported = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    let done = true;
    for (const [group, input] of groups) {
      const ends = await admin.endOffsets(input);
      const info = await admin.describeGroup(group).catch(() => undefined);
      const committed = (p: number) => info?.offsets.find((o) => o.topic === input && o.partition === p)?.committed ?? 0;
      if (!ends.every((p) => committed(p.partition) >= p.latest)) done = false;
    }
    if (done && !reported) say({ event: 'done' });
    reported ||= done;
  }
} catch (err) {
  say({ event: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
}

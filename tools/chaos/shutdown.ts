/**
 * SIGTERM with a slow client: one client trickles a request body a byte at a time and another holds an idle
 * keep-alive connection. Herald must still stop cleanly — exit 0, nothing abandoned — within its shutdown budget.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { ChaosOptions } from './options.ts';
import type { ProbeResult } from './report.ts';
import { chaosHerald } from './herald.ts';

const SHUTDOWN_BUDGET_MS = 10_000;

export async function shutdownProbe(workDir: string, result: ProbeResult, _options: ChaosOptions): Promise<void> {
  const { herald, log } = chaosHerald(workDir, 'shutdown', { args: ['--log-level', 'info'] });
  const url = new URL(await herald.start());
  const port = Number(url.port);

  // An idle keep-alive connection: one request answered, then nothing.
  const idle = net.connect(port, url.hostname);
  idle.on('error', () => {});
  await once(idle, 'connect');
  idle.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
  await once(idle, 'data');

  // A body that trickles in: 1,000 bytes announced, one sent every 200 ms.
  const slow = net.connect(port, url.hostname);
  slow.on('error', () => {});
  await once(slow, 'connect');
  slow.write(
    `POST /admin/topics/chaos-slow/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
  );
  const trickle = setInterval(() => slow.write(' '), 200);
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  const child = herald.process!;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const started = Date.now();
  child.kill('SIGTERM');
  const deadline = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_BUDGET_MS * 3);
  const [code, signal] = await exited;
  clearTimeout(deadline);
  clearInterval(trickle);
  idle.destroy();
  slow.destroy();
  const took = Date.now() - started;
  result.figures['stop ms'] = took;
  result.figures['exit code'] = code ?? -1;
  if (code !== 0) result.problems.push(`exit ${code ?? signal} instead of 0:\n${log().slice(-3_000)}`);
  if (took > SHUTDOWN_BUDGET_MS) result.problems.push(`stopping took ${took} ms, more than the ${SHUTDOWN_BUDGET_MS} ms budget`);
  if (/abandon/i.test(log())) result.problems.push(`work was abandoned:\n${log().slice(-3_000)}`);
}

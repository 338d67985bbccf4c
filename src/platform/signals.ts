import type { Logger } from 'pino';
import type { Lifecycle } from './lifecycle.ts';

/**
 * Resolves with an exit code once the first SIGINT/SIGTERM/SIGQUIT has stopped the lifecycle within `timeoutMs`: 0 when
 * everything stopped cleanly, 1 when work was abandoned. A second signal resolves 1 at once.
 */
export function stopOnSignals(lifecycle: Lifecycle, logger: Logger, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn({ signal }, 'second signal; exiting now');
        return resolve(1);
      }
      received = true;
      logger.info({ signal, timeoutMs }, 'shutting down');
      void lifecycle.stop(timeoutMs).then((result) => {
        logger.info(result, result.clean ? 'stopped cleanly' : 'stopped, abandoning work');
        resolve(result.clean ? 0 : 1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGQUIT', onSignal);
  });
}

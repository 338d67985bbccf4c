/**
 * `work`, or what `onTimeout` makes of it when `work` has not settled within `ms`: `onTimeout` returns the value
 * to resolve with, or throws the error to reject with. The timer is cleared as soon as either happens, so nothing
 * is left running; `ms` = `Infinity` waits for `work` alone. `work` keeps running after a timeout (JavaScript cannot
 * stop it): a late rejection of it is swallowed here, so it never surfaces as unhandled.
 */
export function withTimeout<T, U = T>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  if (!Number.isFinite(ms)) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err);
      }
    }, Math.max(0, ms));
  });
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

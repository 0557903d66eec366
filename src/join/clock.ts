/** The time source of the join loop, injectable so tests run it on a fake clock. */
import type { Clock } from '../clock.js';
import { AbortError } from '../errors.js';

export { type Clock, systemClock } from '../clock.js';
export { formatGoDuration } from '../duration.js';

/** Waits `ms` on `clock`; rejects with AbortError as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined, what = 'retry join'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(what, { cause: signal.reason }));
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new AbortError(what, { cause: signal?.reason }));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

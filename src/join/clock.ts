/** The time source of the join loop, injectable so tests run it on a fake clock. */
import { AbortError } from '../errors.js';

/**
 * What the loop needs from a clock. For `@sinonjs/fake-timers`:
 * `{ now: () => fake.now, setTimeout: fake.setTimeout, clearTimeout: fake.clearTimeout }`.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

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

/**
 * Go's `time.Duration.String()` for whole milliseconds: `500ms`, `30s`, `1m30s`, `1.5s`, `1h0m0s`.
 * Used in log lines that mirror Nomad's (`retry=30s`).
 */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

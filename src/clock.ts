/**
 * The one clock interface: the join loop, the retry policy and the HTTP client take time from
 * it, so tests drive all of them with one fake clock (`@sinonjs/fake-timers`).
 */

/**
 * What autojoin needs from a clock. For `@sinonjs/fake-timers`:
 * `{ now: () => fake.now, setTimeout: fake.setTimeout, clearTimeout: fake.clearTimeout }`.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/**
 * The longest delay a Node timer can hold (2^31-1 ms, about 24.8 days). Node turns anything
 * longer into 1 ms, so a `600h` timeout would fire at once; every timer is clamped to this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` made safe for a timer: not negative, not NaN, at most {@link MAX_TIMER_MS}. */
export function clampTimerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** The real clock; its timers are clamped to {@link MAX_TIMER_MS}. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, clampTimerMs(ms)),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/**
 * The bound on a discovery call when the caller gives none, and on one request of the HTTP client
 * used on its own (a provider's requests within a call are bounded by the call's deadline): 60 s.
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

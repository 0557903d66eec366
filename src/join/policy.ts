/**
 * The retry-join delay policy, pure: given how the attempts so far went, how long to wait
 * before the next one. No timers here; the loop owns the clock.
 */
import { toMs } from '../duration.js';
import { UsageError } from '../errors.js';

/**
 * Opt-in exponential backoff. The wait after the n-th failed attempt is
 * `min(max, initial × multiplier^(n-1))`, spread by ±`jitter` (a fraction).
 */
export interface BackoffOptions {
  /** First wait, milliseconds or a Go duration. @default '500ms' */
  initial?: number | string;
  /** Cap on the wait before jitter. @default '2s' */
  max?: number | string;
  /** Growth per failed attempt. @default 1.5 */
  multiplier?: number;
  /** Randomisation factor in [0, 1]: the wait lands in `[d × (1 - jitter), d × (1 + jitter)]`. @default 0.5 */
  jitter?: number;
}

/** A policy with every value checked and in milliseconds. */
export type DelayPolicy = { kind: 'fixed'; intervalMs: number } | { kind: 'backoff'; initialMs: number; maxMs: number; multiplier: number; jitter: number };

// consul-server-connection-manager's discovery backoff (500ms ×1.5, ±50%), with a far lower cap
// (2 s, not 60 s) so a node that booted first joins within seconds of its peers appearing: once
// capped, the waits spread over 1-3 s and peers wait about 1.1 s on average for the next attempt,
// under a tenth of the 15 s that Nomad's fixed 30 s leaves (bench/join-converge). The price is
// one discovery call per entry every ~2 s while peers are missing; throttling stretches it.
const BACKOFF_DEFAULTS = { initial: 500, max: 2000, multiplier: 1.5, jitter: 0.5 } as const;

/** A throttled attempt doubles the wait, per throttled attempt in a row, up to this many times. */
export const MAX_THROTTLE_DOUBLINGS = 3;
/** The least a throttled attempt waits before the spread (the API said slow down: a 500 ms step would not). */
export const THROTTLE_FLOOR_MS = 4000;
/** The most a throttled attempt waits before the spread, unless the policy's own wait is longer. */
export const THROTTLE_CAP_MS = 60_000;

/**
 * Checks and converts the loop's timing options.
 * @throws UsageError naming the bad option
 */
export function resolvePolicy(retryInterval: number | string, backoff: BackoffOptions | boolean | undefined): DelayPolicy {
  if (backoff === undefined || backoff === false) {
    return { kind: 'fixed', intervalMs: toMs(retryInterval, 'retryInterval') };
  }
  const options = backoff === true ? {} : backoff;
  const initialMs = toMs(options.initial ?? BACKOFF_DEFAULTS.initial, 'backoff.initial');
  const maxMs = toMs(options.max ?? BACKOFF_DEFAULTS.max, 'backoff.max');
  const multiplier = options.multiplier ?? BACKOFF_DEFAULTS.multiplier;
  const jitter = options.jitter ?? BACKOFF_DEFAULTS.jitter;
  if (maxMs < initialMs) throw new UsageError(`backoff.max (${maxMs} ms) is below backoff.initial (${initialMs} ms)`);
  if (!Number.isFinite(multiplier) || multiplier < 1) throw new UsageError(`backoff.multiplier: ${multiplier} is not a number >= 1`);
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) throw new UsageError(`backoff.jitter: ${jitter} is not in [0, 1]`);
  return { kind: 'backoff', initialMs, maxMs, multiplier, jitter };
}

/** What the policy needs to know about the attempts so far. */
export interface DelayInput {
  /** Failed attempts in a row, counting the one that just failed (>= 1). */
  failures: number;
  /** Throttled attempts in a row, counting the one that just failed (0 when it was not throttled). */
  throttleStreak: number;
  /** The longest `Retry-After` a provider sent in the attempt, milliseconds. */
  retryAfterMs?: number;
  /** A uniform random number in [0, 1). */
  random: number;
}

/**
 * The wait before the next attempt, in milliseconds.
 *
 * Fixed policy: exactly `intervalMs`, as Nomad and Consul do. Backoff: exponential with jitter.
 * Either way a throttled attempt stretches the wait: twice the policy's own wait, at least
 * {@link THROTTLE_FLOOR_MS}, doubled again per further throttled attempt in a row (at most
 * {@link MAX_THROTTLE_DOUBLINGS} times, capped at {@link THROTTLE_CAP_MS}), spread by ±50% so a
 * herd throttled together does not come back together, never below the policy's own wait nor
 * the provider's `Retry-After`. A wide first step matters: under a herd, every throttled attempt
 * costs requests that keep the API throttled (bench/join-herd).
 */
export function nextDelay(policy: DelayPolicy, input: DelayInput): number {
  let delay: number;
  if (policy.kind === 'fixed') {
    delay = policy.intervalMs;
  } else {
    const grown = policy.initialMs * policy.multiplier ** Math.max(0, input.failures - 1);
    const capped = Math.min(policy.maxMs, grown);
    delay = capped * (1 - policy.jitter + 2 * policy.jitter * input.random);
  }
  if (input.throttleStreak > 0) {
    const doublings = Math.min(input.throttleStreak, MAX_THROTTLE_DOUBLINGS + 1) - 1;
    const base = Math.min(Math.max(delay * 2, THROTTLE_FLOOR_MS) * 2 ** doublings, Math.max(THROTTLE_CAP_MS, delay));
    delay = Math.max(delay, base * (0.5 + input.random), input.retryAfterMs ?? 0);
  }
  return Math.round(delay);
}

/**
 * THE retry policy for API calls: exponential backoff with full jitter, `Retry-After`
 * honoured, never sleeping past a deadline, abortable. SDKs' own retries are switched off
 * (AWS `maxAttempts: 1`, Azure `retryOptions.maxRetries: 0`, GCE `retry: null`) so the two
 * never multiply; see docs/http.md.
 */
import { type Clock, systemClock } from '../clock.js';
import { AbortError, HttpStatusError, NetworkError, ProviderError } from '../errors.js';
import { formatGoDuration } from '../duration.js';
import type { Logger } from '../log.js';

/** What a classifier says about one failure. */
export interface RetryVerdict {
  /** Try again (if attempts and the deadline allow). */
  retry: boolean;
  /** The server asked for this wait (Retry-After), in ms; used instead of the backoff delay. */
  afterMs?: number;
  /** The server said to slow down (429, 503, a cloud's throttling code). Informational. */
  throttled?: boolean;
}

/** The timer functions retryCall uses: the one {@link Clock}, injectable so tests can drive a fake clock. */
export type RetryClock = Clock;

/** Options for {@link retryCall}. */
export interface RetryOptions {
  /** Decides whether a failure is worth another attempt. {@link classifyHttpError} is the usual choice. */
  classify(err: unknown): RetryVerdict;
  /** Attempts in all, the first included. @default 4 */
  maxAttempts?: number;
  /** Aborting rejects promptly with `AbortError` and leaves no timer behind. */
  signal?: AbortSignal;
  /** Epoch ms. No wait ends past it: the last error is thrown instead. */
  deadline?: number;
  /** Backoff cap for the first retry; it doubles per attempt. @default 200 */
  baseDelayMs?: number;
  /** Upper bound of any backoff delay (not of a server's Retry-After). @default 5000 */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  random?: () => number;
  /** @default the global timers and Date.now */
  clock?: RetryClock;
  /** Where a capped `Retry-After` is reported. @default silent */
  log?: Logger;
  /** What the log line names, e.g. `discover-aws: DescribeInstances`. @default 'retried call' */
  what?: string;
  /** Told before each wait for another attempt (the log's line: {@link logRetries}). */
  onRetry?: (retry: RetryInfo) => void;
}

/** A failed attempt that will be retried. */
export interface RetryInfo {
  /** The attempt that failed (1 = the first). */
  attempt: number;
  maxAttempts: number;
  /** The wait before the next attempt. */
  delayMs: number;
  error: unknown;
  /** The server said to slow down. */
  throttled: boolean;
}

/** An `onRetry` that says each retry in the log: `discover-aws: DescribeInstances failed: 503 ...; retry 2 of 4 in 350ms`. */
export function logRetries(log: { info(message: string): void }): (retry: RetryInfo) => void {
  return ({ attempt, maxAttempts, delayMs, error, throttled }) => {
    const what = error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
    log.info(`${what}; ${throttled ? 'throttled, ' : ''}attempt ${attempt + 1} of ${maxAttempts} in ${delayMs}ms`);
  };
}

export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_BASE_DELAY_MS = 200;
export const DEFAULT_MAX_DELAY_MS = 5000;
/**
 * The longest `Retry-After` honoured, in ms (5 minutes). A server asking for more (one asked for
 * 611 hours) gets this, and the log says so; a deadline still cuts the wait shorter.
 */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * A server's `Retry-After` wait, capped at {@link MAX_RETRY_AFTER_MS}; the cap is logged on `log`.
 * @example capRetryAfter(2_200_000_000, log, 'discover-consul: CatalogService') === 300_000
 */
export function capRetryAfter(afterMs: number, log: Logger | undefined, what: string): number {
  if (afterMs <= MAX_RETRY_AFTER_MS) return Math.max(0, afterMs);
  log?.warn(`${what}: the server asked to wait ${formatGoDuration(afterMs)} (Retry-After); waiting ${formatGoDuration(MAX_RETRY_AFTER_MS)}, the most honoured`);
  return MAX_RETRY_AFTER_MS;
}

/** The most `retryAfterDelay` adds to a server's wait, in ms. */
export const MAX_RETRY_AFTER_SPREAD_MS = 1000;

/**
 * A server's `Retry-After` wait plus a draw of up to a tenth of it (at most
 * `MAX_RETRY_AFTER_SPREAD_MS`): calls throttled together (pages read side by side, concurrent
 * per-VM calls) then come back spread out instead of in the same instant, never sooner than the
 * server asked.
 * @example retryAfterDelay(2000, () => 0.5) === 2100
 */
export function retryAfterDelay(afterMs: number, random: () => number): number {
  return afterMs + Math.floor(random() * Math.min(afterMs / 10, MAX_RETRY_AFTER_SPREAD_MS));
}

/**
 * Full-jitter backoff: a uniform draw in `[0, min(maxDelayMs, baseDelayMs * 2^(retry-1)))`.
 * @param retry 1 for the wait before the second attempt, 2 before the third...
 */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Calls `fn` until it succeeds, the classifier says stop, `maxAttempts` is reached, the next
 * wait would end past `deadline`, or `signal` aborts. Rejects with the last error (or
 * `AbortError`).
 * @example
 *   const res = await retryCall((attempt) => http.request(url), { classify: classifyHttpError, signal, deadline });
 */
export async function retryCall<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const baseDelayMs = opts.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const random = opts.random ?? Math.random;
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal;

  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    let lastError: unknown;
    try {
      return await raceAbort(fn(attempt), signal);
    } catch (err) {
      if (err instanceof AbortError) throw err;
      throwIfAborted(signal);
      lastError = err;
    }
    if (attempt >= maxAttempts) throw lastError;
    const verdict = opts.classify(lastError);
    if (!verdict.retry) throw lastError;
    let delay: number;
    if (verdict.afterMs === undefined) {
      delay = backoffDelay(attempt, baseDelayMs, maxDelayMs, random);
    } else {
      const asked = capRetryAfter(verdict.afterMs, opts.log, opts.what ?? 'retried call');
      // The spread gives way to the deadline; the server's own wait does not.
      delay = retryAfterDelay(asked, random);
      if (opts.deadline !== undefined) delay = Math.max(asked, Math.min(delay, opts.deadline - clock.now()));
    }
    if (opts.deadline !== undefined && clock.now() + delay > opts.deadline) throw lastError;
    opts.onRetry?.({
      attempt,
      maxAttempts,
      delayMs: delay,
      error: lastError,
      throttled: verdict.throttled ?? (lastError instanceof ProviderError && lastError.throttled),
    });
    await sleep(delay, signal, clock);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('retried call', { cause: signal.reason });
}

/** Settles with `promise`, or rejects with AbortError as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      // The abandoned attempt may still reject later; nobody is listening any more.
      promise.catch(() => {});
      reject(new AbortError('retried call', { cause: signal.reason }));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal | undefined, clock: RetryClock): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(new AbortError('retried call', { cause: signal?.reason }));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Parses a `Retry-After` value (delay in seconds, or an HTTP-date) into milliseconds from
 * `now`. Returns undefined when absent or unreadable; a date in the past gives 0.
 * @example parseRetryAfter('3', Date.now()) === 3000
 */
export function parseRetryAfter(header: string | readonly string[] | undefined, now: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : (header as string | undefined))?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10) * 1000;
  // RFC 9110 §10.2.3: HTTP-date; Date.parse reads IMF-fixdate and the two obsolete forms.
  if (!/[a-z]/i.test(value)) return undefined;
  // asctime-date carries no zone but means GMT; Date.parse would read it as local time.
  const at = Date.parse(/^[a-z]{3} [a-z]{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}$/i.test(value) ? `${value} GMT` : value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const THROTTLE_STATUSES = new Set([429, 503]);

/**
 * The default classifier: `HttpStatusError` 429/500/502/503/504 retry (429/503 are throttling,
 * and their `Retry-After` is honoured), `NetworkError` retries, a `ProviderError` retries when
 * throttled or its status is one of those; anything else (4xx, timeouts, malformed bodies,
 * programming errors) does not.
 */
export function classifyHttpError(err: unknown, now: number = Date.now()): RetryVerdict {
  if (err instanceof HttpStatusError) {
    const retry = RETRY_STATUSES.has(err.status);
    const throttled = THROTTLE_STATUSES.has(err.status);
    const afterMs = retry ? parseRetryAfter(err.headers['retry-after'], now) : undefined;
    return afterMs === undefined ? { retry, throttled } : { retry, throttled, afterMs };
  }
  if (err instanceof NetworkError) return { retry: true };
  if (err instanceof ProviderError) {
    const retry = err.throttled || (err.status !== undefined && RETRY_STATUSES.has(err.status));
    return err.retryAfterMs === undefined ? { retry, throttled: err.throttled } : { retry, throttled: err.throttled, afterMs: err.retryAfterMs };
  }
  return { retry: false };
}

/** Socket-level failure codes worth another attempt (a reset, a refused or cut-short connection). */
export const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_NETWORK',
]);

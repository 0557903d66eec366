/**
 * Waiting in tests without betting on wall time: a promise given a generous bound that, when it
 * passes, fails as a timeout naming what was awaited (never as a wrong answer), and a condition
 * awaited until it holds.
 */

/** The bound for "promptly": far above any honest wait on a busy machine, far below a hang. */
export const GENEROUS_MS = 30_000;

/** `promise`, or a rejection `timeout: <what> did not settle within <limitMs> ms`. */
export function within<T>(promise: Promise<T>, what: string, limitMs = GENEROUS_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what} did not settle within ${limitMs} ms`)), limitMs);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** Resolves once `condition()` holds (checked every few ms), or rejects as a timeout naming `what`. */
export async function waitUntil(condition: () => boolean, what: string, limitMs = GENEROUS_MS): Promise<void> {
  const until = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timeout: ${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

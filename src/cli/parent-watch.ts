/**
 * Under `npx`, the shell's `$!` is npm's pid, not ours: `npx discover sim &` then `kill $!` ends
 * npm and its `sh -c`, which do not pass SIGTERM on, and would leave discover running with no
 * parent. So when run through npx, discover stops as if signalled once its parent is gone.
 */

/**
 * Whether this process was started by `npx discover` / `npm exec discover`, not merely below some
 * other npx (`npx ava` running tests sets the same npm_command for everything under it).
 */
export function startedByNpx(env: Record<string, string | undefined>): boolean {
  return env.npm_command === 'exec' && /^'?discover'?(\s|$)/.test(env.npm_lifecycle_script ?? '');
}

/** Calls `stop` once the parent process has gone (the ppid changed); checks every `intervalMs`. */
export function stopWhenOrphaned(stop: () => void, intervalMs = 250): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A child process in its own process group, so that stopping it stops everything it started:
 * `nomad server join` wrapped in a shell script, a helper that forks. Killing only the child
 * (what `spawn`'s `signal` option does) leaves its children running as orphans.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface GroupSpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting kills the whole group: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** @default 2000 */
  killGraceMs?: number;
}

export type GroupChild = ChildProcessByStdio<null, Readable, Readable>;

/** Sends `signal` to every process of the child's group; false when the group is gone. */
export function killGroup(child: { pid?: number | undefined }, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `file args...` (no shell) as the leader of a new process group, stdin closed, stdout and
 * stderr piped. On abort the group gets SIGTERM, and SIGKILL if it is still there after the grace.
 */
export function spawnGroup(file: string, args: readonly string[], options: GroupSpawnOptions = {}): GroupChild {
  const child = spawn(file, args, { shell: false, env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const { signal } = options;
  if (!signal) return child;
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killGroup(child, 'SIGTERM');
    graceTimer = setTimeout(() => killGroup(child, 'SIGKILL'), options.killGraceMs ?? 2000);
    graceTimer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  child.once('close', () => {
    signal.removeEventListener('abort', onAbort);
    // Whatever the leader left behind in its group dies with the attempt that started it.
    if (signal.aborted) killGroup(child, 'SIGKILL');
    clearTimeout(graceTimer);
  });
  return child;
}

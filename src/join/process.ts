/**
 * Helper processes (`exec=` entries, `discover join -- COMMAND`) run in their own process group,
 * so that killing the helper kills whatever it started too: a timeout, an abort, the end of the
 * retries, SIGINT/SIGTERM of the host, or the helper's own exit all leave nothing behind.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** A helper started by {@link spawnGroup}. */
export interface GroupChild {
  /** The helper; its pid is also the id of its process group. */
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** SIGKILLs every process of the group (the helper and all it started). Safe to call twice. */
  killGroup(): void;
}

const live = new Set<number>();
let exitHookInstalled = false;

/** Kills every group still alive when the host process exits (normally or through process.exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of live) killPgid(pgid);
  });
}

function killPgid(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is gone already.
  }
  live.delete(pgid);
}

/**
 * Spawns `command args` (no shell) as the leader of a new process group, stdin closed, stdout and
 * stderr piped. Call `killGroup()` when done with it, whatever the outcome; groups left alive are
 * killed when the host process exits.
 * @example
 *   const { child, killGroup } = spawnGroup('peers', ['--role', 'server'], { env });
 *   child.on('exit', killGroup);
 */
export function spawnGroup(command: string, args: readonly string[], options: { env?: Record<string, string | undefined> } = {}): GroupChild {
  installExitHook();
  // detached: setsid(), so the helper leads a new group (and session) whose id is its pid.
  const child = spawn(command, args, {
    shell: false,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env as NodeJS.ProcessEnv | undefined,
  });
  const pgid = child.pid;
  if (pgid !== undefined) live.add(pgid);
  let killed = false;
  return {
    child,
    killGroup: () => {
      if (killed || pgid === undefined) return;
      killed = true;
      killPgid(pgid);
    },
  };
}

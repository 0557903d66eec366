// Whether processes are still alive, for tests that check nothing of a helper's group survives.
import { readFile } from 'node:fs/promises';

/** True while `pid` runs (a zombie waiting for its parent counts as gone: it runs nothing). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Resolves once every pid is gone; rejects naming the survivors after `limitMs`. SIGKILL is
 * delivered at once, so the limit only bounds a failure, it is not a timing assertion.
 */
export async function allGone(pids: readonly number[], limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    const survivors: number[] = [];
    for (const pid of pids) if (await alive(pid)) survivors.push(pid);
    if (survivors.length === 0) return;
    if (Date.now() > until) throw new Error(`still running after ${limitMs} ms: pids ${survivors.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until `path` holds `count` pids, one a line, as a helper script writes them. */
export async function pidsFrom(path: string, count: number, limitMs = 60_000): Promise<number[]> {
  const until = Date.now() + limitMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    const pids = text
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
    if (pids.length >= count) return pids;
    if (Date.now() > until) throw new Error(`timed out after ${limitMs} ms waiting for ${count} pids in ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

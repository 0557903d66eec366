/**
 * A private network namespace for multicast tests: nothing sent inside it reaches the host's
 * interfaces. It holds `lo` and a veth pair `mdns0`/`mdns1` (both ends inside) with
 * 10.77.0.1/24 and fd77::1/64 on `mdns0`. Multicast needs a real link: Linux loops IPv4 multicast
 * back on `lo` once it has the MULTICAST flag, but never IPv6, so the tests browse on `mdns0`.
 * Needs root (CAP_NET_ADMIN) and iproute2; fails loudly without them. Deleted by the teardown.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';

const run = promisify(execFile);

/** The link the tests browse on, and its addresses. */
export const LINK = { name: 'mdns0', v4: '10.77.0.1', v6: 'fd77::1' } as const;

export interface Netns {
  name: string;
  /** Starts a process inside the namespace (`ip netns exec`); killed by the teardown if still running. */
  spawn(command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }): ChildProcess;
}

/**
 * Creates `autojoin-mdns-<random>` with its links up and multicast routes in place.
 * @throws with the `ip` command's own error when namespaces cannot be made (not root, no iproute2)
 */
export async function createNetns(t: ExecutionContext): Promise<Netns> {
  const name = `autojoin-mdns-${randomBytes(4).toString('hex')}`;
  await ip(['netns', 'add', name]);
  const children = new Set<ChildProcess>();
  t.teardown(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ip(['netns', 'delete', name]);
  });
  const inside = (args: string[]) => ip(['-n', name, ...args]);
  await inside(['link', 'set', 'lo', 'up']);
  await inside(['link', 'set', 'lo', 'multicast', 'on']);
  await inside(['link', 'add', LINK.name, 'type', 'veth', 'peer', 'name', 'mdns1']);
  await inside(['link', 'set', LINK.name, 'multicast', 'on', 'up']);
  await inside(['link', 'set', 'mdns1', 'up']);
  await inside(['addr', 'add', `${LINK.v4}/24`, 'dev', LINK.name]);
  // nodad: usable at once, instead of after duplicate address detection (~1 s).
  await inside(['addr', 'add', `${LINK.v6}/64`, 'dev', LINK.name, 'nodad']);
  // Lets a socket without an explicit multicast interface send to 224.0.0.251 (no default route here).
  await inside(['route', 'add', '224.0.0.0/4', 'dev', LINK.name]);

  return {
    name,
    spawn(command, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: options.env ?? process.env,
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
  };
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed (network namespaces need root and iproute2): ${e.stderr?.trim() || e.message}`);
  }
}

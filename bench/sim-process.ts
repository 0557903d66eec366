// The simulator as bench/fleet and bench/pages run it: a process of its own, so rendering pages
// never shares the benchmark's process or the lookup's; and the check that a lookup's answer holds
// every instance.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ROOT } from './lib.js';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** What `discover --format json sim` prints first: its URLs, env and one paste block per provider. */
export interface SimPasteData {
  httpUrl: string;
  env: Record<string, string>;
  blocks: { provider: string; config: string; env: Record<string, string> }[];
}

/** `<cli> --format json sim --fleet <file>` in a child process, once it has printed its paste line. */
export async function startSimProcess(cli: string, fleetPath: string, env: Record<string, string | undefined>) {
  // A larger young generation: the simulator renders every page from scratch, and with the default
  // it spent more time collecting than rendering (linode's: 1,040 -> 470 ms a lookup). Harness only.
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', cli, '--format', 'json', 'sim', '--fleet', fleetPath], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([once(lines, 'line').then(([l]) => l as string), exited.then(([code]) => Promise.reject(new Error(`sim exited ${code}`)))]);
  const paste = JSON.parse(first) as SimPasteData;
  return {
    paste,
    /** The simulator process's CPU time so far (user + system), from /proc. */
    cpuMs(): number {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    },
    async control(method: string, route: string): Promise<unknown> {
      const response = await fetch(`${paste.httpUrl}${route}`, { method });
      return response.json();
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Distinct expected addresses in a `discover -q addrs` answer (a `host:port` counts by its host). */
export function foundOf(stdout: string, expected: ReadonlySet<string>): number {
  const hosts = stdout
    .trim()
    .split(/\s+/)
    .filter((token) => token !== '')
    .map((token) => /^\[(.+)\]:\d+$/.exec(token)?.[1] ?? /^([^:]+):\d+$/.exec(token)?.[1] ?? token);
  return new Set(hosts.filter((host) => expected.has(host))).size;
}

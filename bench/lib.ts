// Shared bench helpers: run a process many times and report medians. Benchmarks print figures
// beside their baseline measured in the same run; they assert nothing about time.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** What `npx discover` runs: bin/discover.js, which imports dist/entry/discover.js. */
export const CLI = path.join(ROOT, 'bin/discover.js');
/** Another checkout's command: its bin/discover.js. */
export function cliOf(checkout: string): string {
  return path.resolve(checkout, 'bin/discover.js');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Wall time of one whole process, in ms. Throws when it fails, so a broken command is never "fast". */
export function timeProcess(args: string[], env: Record<string, string | undefined> = process.env): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/**
 * Wall time of one whole process, in ms, without blocking this process's event loop (a benchmark
 * that serves the simulator from this process must not use the sync form).
 */
export function timeProcessAsync(args: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(elapsed);
    });
  });
}

/** `interleaved` for commands that talk to a server in this process. */
export async function interleavedAsync(
  commands: Record<string, string[]>,
  runs: number,
  env?: Record<string, string | undefined>,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) await timeProcessAsync(args, env); // warm caches and connections
  for (let i = 0; i < runs; i++) {
    for (const [label, args] of Object.entries(commands)) samples[label]?.push(await timeProcessAsync(args, env));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/** Runs each labelled command `runs` times, interleaved so drift hits all alike; returns medians. */
export function interleaved(commands: Record<string, string[]>, runs: number, env?: Record<string, string | undefined>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) timeProcess(args, env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [label, args] of Object.entries(commands)) samples[label]?.push(timeProcess(args, env));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** One whole process as measured by {@link runMeasured}. */
export interface MeasuredRun {
  ms: number;
  /** Peak resident set size, MB (from bench/rss-report.mjs). */
  rssMB: number;
  /** The process's own CPU time, user + system, ms (from bench/rss-report.mjs): what a busy machine does not inflate. */
  cpuMs: number;
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs `node [--import rss-report] ...args` without blocking this process's event loop (the
 * simulator may be serving from here): wall time, peak RSS, output. Never throws: the caller
 * checks `code` and `stdout`, so a failing or empty answer is reported, not timed.
 */
export function runMeasured(args: string[], env: Record<string, string | undefined>): Promise<MeasuredRun> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', './bench/rss-report.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rss = Number(/BENCH_PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      const cpu = Number(/BENCH_CPU_US=(\d+)/.exec(stderr)?.[1] ?? Number.NaN);
      const rest = stderr.replace(/\n?BENCH_PEAK_RSS_KB=\d+\n/, '').replace(/BENCH_CPU_US=\d+\n/, '');
      resolve({ ms, rssMB: rss / 1024, cpuMs: cpu / 1000, stdout, stderr: rest, code: code ?? 1 });
    });
  });
}

/** `met` or `NOT met`, for the goal lines benchmarks print. */
export const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** `times`' `0m0.123s` as ms. */
const shellTime = (text: string | undefined) => {
  const match = /^(\d+)m([\d.]+)s$/.exec(text ?? '');
  return match ? (Number(match[1]) * 60 + Number(match[2])) * 1000 : Number.NaN;
};

/**
 * One whole `node ...args` process: wall time and CPU time (user + system of the process and its
 * threads, ms, from the shell's `times`, 1 ms resolution). Nothing is added to the process
 * measured (no --import), so a bare node stays bare. Throws when it fails.
 */
export function timeProcessCpu(args: string[], env: Record<string, string | undefined> = process.env): { ms: number; cpuMs: number } {
  const started = process.hrtime.bigint();
  const result = spawnSync('bash', ['-c', '"$0" "$@" >/dev/null; code=$?; times; exit $code', process.execPath, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  // `times` prints the shell's own user and system time, then its children's.
  const [user, system] = (result.stdout.trim().split('\n')[1] ?? '').split(' ');
  return { ms, cpuMs: shellTime(user) + shellTime(system) };
}

/** Like {@link interleaved}, with {@link timeProcessCpu}: medians of wall time and of CPU time. */
export function interleavedCpu(
  commands: Record<string, string[]>,
  runs: number,
  env?: Record<string, string | undefined>,
): Record<string, { ms: number; cpuMs: number }> {
  const samples: Record<string, Array<{ ms: number; cpuMs: number }>> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) timeProcessCpu(args, env); // warm the file and code caches
  for (let i = 0; i < runs; i++) {
    for (const [label, args] of Object.entries(commands)) samples[label]?.push(timeProcessCpu(args, env));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { ms: median(v.map((s) => s.ms)), cpuMs: median(v.map((s) => s.cpuMs)) }]));
}

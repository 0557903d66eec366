// Runs the built CLI (dist/, made by `npm test`'s build step or `npm ci`) as a real process.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** What `npx discover` runs: bin/discover.cjs, which runs the build's dist/entry/discover.cjs. */
export const CLI = path.join(ROOT, 'bin/discover.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The test environment for a child process that may run elsewhere: relative CA paths made absolute. */
export function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env = { ...process.env, ...extra };
  if (env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = path.resolve(ROOT, env.NODE_EXTRA_CA_CERTS);
  // The repo's tests keep the sim's CA in the repo's .sim/ (a user's default is their state folder).
  if (env.AUTOJOIN_SIM_DIR) env.AUTOJOIN_SIM_DIR = path.resolve(ROOT, env.AUTOJOIN_SIM_DIR);
  return env;
}

export function runDiscover(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env: childEnv(options.env), cwd: options.cwd ?? ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      // Killed by our own limit: say so, rather than pass off empty output as the CLI's answer.
      if (error?.killed) {
        return reject(new Error(`discover ${args.join(' ')}: the test helper's ${timeoutMs} ms limit passed and it was killed; stderr so far: ${stderr}`));
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Copies examples/autojoin-provider-static into a temporary folder outside the repo, with
 * node_modules/autojoin linked to this checkout, as a user's project would have it.
 */
export function installExamplePlugin(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'autojoin-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(ROOT, 'examples/autojoin-provider-static'), dir, { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules/autojoin'), 'dir');
  return dir;
}

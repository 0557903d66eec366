/**
 * `discover join ... -- COMMAND ARGS...`: each attempt runs `COMMAND ARGS... ADDRESS...` (no
 * shell) in its own process group; exit status 0 is a join.
 */
import { JoinCommandError } from './errors.js';
import { spawnGroup } from './process-group.js';

export interface JoinCommandOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Stops the command and everything it started. */
  signal: AbortSignal;
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** Reads "Joined 3 servers successfully" (nomad server join) or Consul's "by contacting 3 nodes". */
export function joinedFromOutput(stdout: string, fallback: number): number {
  const match = /Joined (\d+) servers? successfully/.exec(stdout) ?? /by contacting (\d+) nodes?/.exec(stdout);
  return match ? Number(match[1]) : fallback;
}

/** Runs COMMAND ARGS... ADDRESS...; resolves with the number joined, rejects on a non-zero exit. */
export function runJoinCommand(command: readonly string[], addresses: readonly string[], options: JoinCommandOptions): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawnGroup(file, [...args, ...addresses], { env: options.env as NodeJS.ProcessEnv, cwd: options.cwd, signal: options.signal });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => options.onStderr?.(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new JoinCommandError(`exec: "${file}": executable file not found in $PATH`, { cause: error }) : error);
    });
    child.on('close', (code, killedBy) => {
      if (code === 0) resolve(joinedFromOutput(stdout, addresses.length));
      else reject(new JoinCommandError(`${file} exited with ${code === null ? `signal ${killedBy}` : `code ${code}`}`));
    });
  });
}

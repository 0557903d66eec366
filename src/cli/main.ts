// The CLI process: signals, stdio and the exit code around runCli (entry/discover.ts runs it,
// directly or from the CLI bundle, src/load-bundle.ts).
import { runCli } from './run.js';

/** Runs the `discover` command of this process's argv, then exits with its code. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Only under npm exec (src/cli/parent-watch.ts); loaded then only.
  if (process.env.npm_command === 'exec') {
    const { startedByNpx, stopWhenOrphaned } = await import('./parent-watch.js');
    if (startedByNpx(process.env)) stopWhenOrphaned(stop);
  }

  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    // When node started, not when this line ran: --timeout covers start-up and loading too.
    // (process.uptime() counts from the same start as performance.timeOrigin, without loading perf_hooks.)
    startedAt: Date.now() - process.uptime() * 1000,
  });
  process.exitCode = code;
  // Let stderr and stdout drain (pipes are asynchronous: exiting at once can drop the error line),
  // then leave even if an SDK left a keep-alive socket open.
  process.stderr.write('', () => process.stdout.write('', () => process.exit(code)));
}

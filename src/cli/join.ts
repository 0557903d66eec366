/**
 * `discover join [flags] ENTRY... [-- COMMAND ARGS...]`: the retry-join loop from the shell.
 *
 * Without COMMAND it succeeds as soon as addresses are found and prints them on one line (so
 * `nomad server join $(discover join ...)` works). With COMMAND, each attempt runs
 * `COMMAND ARGS... ADDRESS...` (no shell) and exit status 0 is a join.
 * Exit codes: 0 joined, 1 every attempt failed (or stopped), 2 usage or config error.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toMs } from '../duration.js';
import { AbortError, AutojoinError, UsageError } from '../errors.js';
import { type Logger, lineLogger, silentLogger } from '../log.js';
import type { RetryJoinOptions, RetryJoinResult } from '../join/index.js';
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';

export const JOIN_USAGE = `Usage: discover join [flags] ENTRY... [-- COMMAND ARGS...]

Discovers peers from each ENTRY and retries until they are joined. An ENTRY is a
go-discover config string (quote it: "provider=aws tag_key=role tag_value=nomad"),
an exec= command ("exec=/usr/local/bin/peers --role server"), or an address
(10.0.0.1, 10.0.0.1:4648, [2001:db8::1]:4648, nomad.internal).

Without COMMAND, the first attempt that finds addresses wins; they are printed on
one line. With COMMAND, every attempt runs COMMAND ARGS... ADDRESS... (no shell)
and exit status 0 is a join, e.g.  discover join "provider=aws ..." -- nomad server join

Flags:
  --from-config PATH   entries, interval, attempts and port from a Nomad or Consul
                       agent config (.hcl/.json file or folder; repeatable)
  --mode M             joiner of that config: server|client (Nomad), lan|wan (Consul)
  --retry-interval D   wait between attempts, ms or Go duration (default 30s)
  --retry-max N        attempts after the first; 0 retries forever (default 0)
  --default-port N     port for addresses without one (default: none)
  --min-joined N       addresses (or COMMAND-reported joins) needed (default 1)
  --timeout D          bound on each entry's discovery per attempt (default 60s)
  --backoff            exponential backoff with jitter instead of a fixed interval
  --backoff-initial D  first backoff wait (default 500ms)
  --backoff-max D      longest backoff wait before jitter (default 5s)
  --watch              after joining, keep re-discovering and join again when the
                       addresses change, until SIGINT/SIGTERM
  --watch-interval D   re-discovery interval (default: the retry interval)
  --format text|json   output format (default text)
  -v, --verbose        debug log lines too
  -q                   no log output (errors are still printed)
  -h, --help           this help

Exit status: 0 joined, 1 every attempt failed, 2 usage or config error.
`;

const OPTIONS = {
  'from-config': { type: 'string', multiple: true },
  mode: { type: 'string' },
  'retry-interval': { type: 'string' },
  'retry-max': { type: 'string' },
  'default-port': { type: 'string' },
  'min-joined': { type: 'string' },
  timeout: { type: 'string' },
  backoff: { type: 'boolean' },
  'backoff-initial': { type: 'string' },
  'backoff-max': { type: 'string' },
  watch: { type: 'boolean' },
  'watch-interval': { type: 'string' },
  format: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  q: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Codes of errors that waiting cannot fix: exit 2. */
const CONFIG_CODES = new Set([
  'ERR_USAGE',
  'ERR_CONFIG_PARSE',
  'ERR_PROVIDER_ARGS',
  'ERR_NO_PROVIDER',
  'ERR_UNKNOWN_PROVIDER',
  'ERR_PROVIDER_REGISTRY',
  'ERR_JOIN_CONFIG',
  'ERR_INVALID_ADDRESS',
]);

function integer(text: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: "${text}" is not an integer in ${min}-${max}`);
  return n;
}

/** Levels below INFO are dropped unless verbose, as Nomad's default log level does. */
function cliLogger(io: CliIo, quiet: boolean, verbose: boolean): Logger {
  if (quiet) return silentLogger;
  const lines = lineLogger(io.stderr);
  return verbose ? lines : { ...lines, debug() {} };
}

/** Reads "Joined 3 servers successfully" (nomad server join) or Consul's "by contacting 3 nodes". */
export function joinedFromOutput(stdout: string, fallback: number): number {
  const match = /Joined (\d+) servers? successfully/.exec(stdout) ?? /by contacting (\d+) nodes?/.exec(stdout);
  return match ? Number(match[1]) : fallback;
}

/** Runs COMMAND ARGS... ADDRESS...; resolves with the number joined, rejects on a non-zero exit. */
function runJoinCommand(command: readonly string[], addresses: string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, ...addresses], { shell: false, env: io.env as NodeJS.ProcessEnv, cwd: io.cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      io.stdout(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => io.stderr(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new Error(`exec: "${file}": executable file not found in $PATH`) : error);
    });
    child.on('close', (code, killedBy) => {
      if (code === 0) resolve(joinedFromOutput(stdout, addresses.length));
      else reject(new Error(`${file} exited with ${code === null ? `signal ${killedBy}` : `code ${code}`}`));
    });
  });
}

/**
 * Runs `discover join`. The CLI's dispatcher hands it everything after `join`.
 * @returns the exit code
 */
export async function runJoin(argv: string[], io: CliIo): Promise<number> {
  try {
    return await join(argv, io);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof AutojoinError && CONFIG_CODES.has(error.code)) return EXIT_USAGE;
    return EXIT_FAILED;
  }
}

async function join(argv: string[], io: CliIo): Promise<number> {
  const dashes = argv.indexOf('--');
  const command = dashes < 0 ? [] : argv.slice(dashes + 1);
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: dashes < 0 ? argv : argv.slice(0, dashes), options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${JOIN_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(JOIN_USAGE);
    return EXIT_OK;
  }
  if (dashes >= 0 && command.length === 0) throw new UsageError('join: "--" must be followed by a command');
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of text, json`);
  const logger = cliLogger(io, values.q ?? false, values.verbose ?? false);

  const { readAgentConfig, retryJoin } = await import('../join/index.js');
  const options: Partial<RetryJoinOptions> = {};
  let entries = [...positionals];
  if (values['from-config']) {
    const mode = values.mode;
    if (mode !== undefined && !['server', 'client', 'lan', 'wan'].includes(mode)) {
      throw new UsageError(`--mode: "${mode}" is not one of server, client, lan, wan`);
    }
    const agent = await readAgentConfig(
      values['from-config'].map((p) => resolve(io.cwd, p)),
      { mode: mode as 'server' | 'client' | 'lan' | 'wan' | undefined },
    );
    for (const warning of agent.warnings) logger.warn(`agent.joiner: ${warning}`);
    entries = [...agent.entries, ...entries];
    Object.assign(options, { retryInterval: agent.retryIntervalMs, retryMax: agent.retryMax, defaultPort: agent.defaultPort });
  } else if (values.mode !== undefined) {
    throw new UsageError('--mode needs --from-config');
  }
  if (entries.length === 0) throw new UsageError(`join: no entries given\n\n${JOIN_USAGE}`);

  if (values['retry-interval'] !== undefined) options.retryInterval = toMs(values['retry-interval'], '--retry-interval');
  const retryMax = integer(values['retry-max'], '--retry-max', 0);
  if (retryMax !== undefined) options.retryMax = retryMax;
  const defaultPort = integer(values['default-port'], '--default-port', 0, 65535);
  if (defaultPort !== undefined) options.defaultPort = defaultPort;
  const minJoined = integer(values['min-joined'], '--min-joined', 1);
  if (values.timeout !== undefined) options.timeout = toMs(values.timeout, '--timeout');
  if (values.backoff || values['backoff-initial'] !== undefined || values['backoff-max'] !== undefined) {
    options.backoff = {
      ...(values['backoff-initial'] === undefined ? {} : { initial: toMs(values['backoff-initial'], '--backoff-initial') }),
      ...(values['backoff-max'] === undefined ? {} : { max: toMs(values['backoff-max'], '--backoff-max') }),
    };
  }
  if (values['watch-interval'] !== undefined && !values.watch) throw new UsageError('--watch-interval needs --watch');
  if (values.watch) {
    options.watch = values['watch-interval'] === undefined ? true : { interval: toMs(values['watch-interval'], '--watch-interval') };
  }

  const print = (result: Pick<RetryJoinResult, 'addresses' | 'joined' | 'attempts' | 'elapsedMs'>) => {
    if (format === 'json') {
      io.stdout(`${JSON.stringify({ joined: result.joined, attempts: result.attempts, elapsed_ms: result.elapsedMs, addresses: result.addresses })}\n`);
    } else if (command.length === 0) {
      io.stdout(`${result.addresses.join(' ')}\n`);
    }
  };

  const started = Date.now();
  try {
    const result = await retryJoin({
      ...options,
      entries,
      ...(minJoined === undefined ? {} : { minJoined }),
      signal: io.signal,
      logger,
      env: io.env,
      join: (addresses, info) => (command.length > 0 ? runJoinCommand(command, addresses, io, info.signal) : addresses.length),
      // In watch mode every successful re-join is news: print it as it happens.
      onAttempt: (report) => {
        if (!values.watch || report.error || report.joined === 0) return;
        print({ addresses: report.addresses, joined: report.joined, attempts: report.attempt, elapsedMs: Date.now() - started });
      },
    });
    if (!values.watch) print(result);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AbortError) {
      io.stderr('discover join: stopped before joining\n');
      return EXIT_FAILED;
    }
    throw error;
  }
}

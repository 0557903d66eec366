/**
 * `discover join [flags] ENTRY... [-- COMMAND ARGS...]`: the retry-join loop from the shell.
 *
 * Without COMMAND it succeeds once `--min` addresses are found and prints them on one line (so
 * `nomad server join $(discover join ...)` works). With COMMAND, each attempt runs
 * `COMMAND ARGS... ADDRESS...` (no shell) and exit status 0 is a join. `--probe tcp` counts only
 * the addresses that accept a TCP connection. Progress goes to stderr, one line per attempt
 * (redrawn in place on a terminal); `-v` adds Nomad's log lines.
 * Exit codes: 0 joined, 1 every attempt failed (or stopped), 2 usage or config error.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toMs } from '../duration.js';
import { AbortError, isConfigError, UsageError } from '../errors.js';
import { type Logger, lineLogger, silentLogger } from '../log.js';
import type { RetryJoinOptions, RetryJoinResult } from '../join/index.js';
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';
import { INTRO_JOIN_OPTIONS, INTRO_JOIN_USAGE, introCommandIo, introJoinOption } from './intro.js';
import { createProgress } from './join-progress.js';

export const JOIN_USAGE = `Usage: discover join [flags] ENTRY... [-- COMMAND ARGS...]

Discovers peers from each ENTRY and retries until they are joined. An ENTRY is a
go-discover config string (quote it: "provider=aws tag_key=role tag_value=nomad"),
an exec= command ("exec=/usr/local/bin/peers --role server"), or an address
(10.0.0.1, 10.0.0.1:4648, [2001:db8::1]:4648, nomad.internal).

Without COMMAND, the first attempt that finds --min addresses wins; they are
printed on one line. With COMMAND, every attempt runs COMMAND ARGS... ADDRESS...
(no shell); exit status 0 is a join, anything else a failed attempt that is retried,
e.g.  discover join "provider=aws ..." -- nomad server join

Flags:
  --from-config PATH   entries, interval, attempts and port from a Nomad or Consul
                       agent config (.hcl/.json file or folder; repeatable)
  --mode M             joiner of that config: server|client (Nomad), lan|wan (Consul)
  --retry-interval D   wait between attempts, ms or Go duration (default 30s)
  --retry-max N        attempts after the first; 0 retries forever (default 0)
  --default-port N     port for addresses without one (default: none)
  --min N              addresses (or COMMAND-reported joins) needed (default 1)
  --probe tcp          count only addresses that accept a TCP connection (within
                       --timeout, default 5s); COMMAND gets only those
  --timeout D          bound on each entry's discovery per attempt (default 60s)
  --backoff            exponential backoff with jitter instead of a fixed interval
  --backoff-initial D  first backoff wait (default 500ms)
  --backoff-max D      longest backoff wait before jitter (default 2s)
  --watch              after joining, keep re-discovering and join again when the
                       addresses change, until SIGINT/SIGTERM
  --watch-interval D   re-discovery interval (default: the retry interval)
  --format text|json   output and progress format (default text)
  -v, --verbose        Nomad's log lines (agent.joiner: ...) besides the progress
  -q                   no progress or log output (errors are still printed)
  -h, --help           this help
${INTRO_JOIN_USAGE}
Exit status: 0 joined, 1 every attempt failed, 2 usage or config error.
`;

const OPTIONS = {
  'from-config': { type: 'string', multiple: true },
  mode: { type: 'string' },
  'retry-interval': { type: 'string' },
  'retry-max': { type: 'string' },
  'default-port': { type: 'string' },
  min: { type: 'string' },
  probe: { type: 'string' },
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
  ...INTRO_JOIN_OPTIONS,
} as const;

function integer(text: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: "${text}" is not an integer in ${min}-${max}`);
  return n;
}

/** Nomad's log lines only with -v: by default the progress says it, one line per attempt. */
function cliLogger(io: CliIo, quiet: boolean, verbose: boolean): Logger {
  return verbose && !quiet ? lineLogger(io.stderr) : silentLogger;
}

/** The probe's wait for a connection when --timeout is not given. */
const PROBE_TIMEOUT_MS = 5000;

/** Whether `host:port` accepts a TCP connection within `timeoutMs`; the error text when not. */
function probeTcp(address: string, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(address);
  if (!match) return Promise.resolve('no port (give --default-port)');
  return new Promise((resolve) => {
    const socket = connect({ host: match[1], port: Number(match[2]), timeout: timeoutMs, signal });
    const done = (error: string | undefined) => {
      socket.destroy();
      resolve(error);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`no answer within ${formatMs(timeoutMs)}`));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** The addresses that accept a TCP connection, in order. @throws when fewer than `min` do */
async function reachable(addresses: string[], min: number, timeoutMs: number, signal: AbortSignal): Promise<string[]> {
  const errors = await Promise.all(addresses.map((address) => probeTcp(address, timeoutMs, signal)));
  const open = addresses.filter((_, i) => errors[i] === undefined);
  if (open.length >= min) return open;
  const refused = addresses.flatMap((address, i) => (errors[i] === undefined ? [] : [`${address} ${errors[i]}`]));
  throw new Error(`${open.length} of ${addresses.length} addresses accept TCP connections, ${min} needed: ${refused.join(', ')}`);
}

/** Reads "Joined 3 servers successfully" (nomad server join) or Consul's "by contacting 3 nodes". */
export function joinedFromOutput(stdout: string, fallback: number): number {
  const match = /Joined (\d+) servers? successfully/.exec(stdout) ?? /by contacting (\d+) nodes?/.exec(stdout);
  return match ? Number(match[1]) : fallback;
}

/** Runs COMMAND ARGS... ADDRESS...; resolves with the number joined, rejects on a non-zero exit. */
function runJoinCommand(command: readonly string[], addresses: string[], io: CliIo, signal: AbortSignal, onOutput: () => void): Promise<number> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, ...addresses], { shell: false, env: io.env as NodeJS.ProcessEnv, cwd: io.cwd, signal, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onOutput();
      io.stdout(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      onOutput();
      io.stderr(chunk);
    });
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
    if (isConfigError(error)) return EXIT_USAGE;
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
  if (values.probe !== undefined && values.probe !== 'tcp') throw new UsageError(`--probe: "${values.probe}" is not one of tcp`);
  const quiet = values.q ?? false;
  const logger = cliLogger(io, quiet, values.verbose ?? false);

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
    if (!quiet) for (const warning of agent.warnings) io.stderr(`[WARN] agent.joiner: ${warning}\n`);
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
  const minJoined = integer(values.min, '--min', 1) ?? 1;
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
  const progress = quiet
    ? undefined
    : createProgress({
        write: io.stderr,
        // Log lines (-v) would be overwritten by a redraw.
        redraw: io.isTTY && format === 'text' && !values.verbose,
        format,
        minJoined,
        columns: process.stderr.columns,
      });

  const probeMs = options.timeout === undefined ? PROBE_TIMEOUT_MS : toMs(options.timeout, '--timeout');
  // With --probe, what is printed (or handed to COMMAND) is the reachable subset of an attempt's addresses.
  let handed: { attempt: number; addresses: string[] } | undefined;
  const handedIn = (attempt: number, fallback: string[]) => (handed?.attempt === attempt ? handed.addresses : fallback);
  const join = async (addresses: string[], info: { attempt: number; signal: AbortSignal; introToken?: string }): Promise<number> => {
    const usable = values.probe ? await reachable(addresses, minJoined, probeMs, info.signal) : addresses;
    handed = { attempt: info.attempt, addresses: usable };
    if (command.length > 0) return runJoinCommand(command, usable, introCommandIo(io, values, info.introToken), info.signal, () => progress?.interrupted());
    if (usable.length < minJoined) throw new Error(`found ${usable.length} of the ${minJoined} addresses needed`);
    return usable.length;
  };

  const started = Date.now();
  try {
    const result = await retryJoin({
      ...options,
      entries,
      minJoined,
      signal: io.signal,
      logger,
      env: io.env,
      introToken: introJoinOption(values, io, quiet || (values.verbose ?? false)),
      join,
      onAttempt: (report) => {
        progress?.attempt(report);
        // In watch mode every successful re-join is news: print it as it happens.
        if (!values.watch || report.error || report.joined === 0) return;
        progress?.interrupted();
        print({ addresses: handedIn(report.attempt, report.addresses), joined: report.joined, attempts: report.attempt, elapsedMs: Date.now() - started });
      },
    });
    if (!values.watch) print({ ...result, addresses: handedIn(result.attempts, result.addresses) });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AbortError) {
      io.stderr('discover join: stopped before joining\n');
      return EXIT_FAILED;
    }
    throw error;
  }
}

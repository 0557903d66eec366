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
import { resolve } from 'node:path';
import { toMs } from '../duration.js';
import { AbortError, ConfigParseError, isConfigError, UsageError } from '../errors.js';
import type { AttemptReport, JoinInfo, RetryJoinOptions, RetryJoinResult } from '../join/index.js';
import { type Logger, lineLogger, silentLogger } from '../log.js';
import { checkFormat, configWord, type FlagSpecs, type FlagValues, parseFlags } from './flags.js';
import { INTRO_JOIN_OPTIONS, INTRO_JOIN_USAGE, type IntroJoinValues, introCommandIo, introJoinOption } from './intro.js';
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';
import { createProgress, type Progress } from './join-progress.js';

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
  --plugin P           load a provider plugin (repeatable; also DISCOVER_PLUGINS)
  --lenient            unknown keys in config strings are warnings, not errors
  -v, --verbose        Nomad's log lines (agent.joiner: ...) besides the progress
  -q                   no progress or log output (errors are still printed)
  -h, --help           this help
${INTRO_JOIN_USAGE}
Exit status: 0 joined, 1 every attempt failed, 2 usage or config error.
`;

const OPTIONS: FlagSpecs = {
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
  plugin: { type: 'string', multiple: true },
  lenient: { type: 'boolean' },
  verbose: { type: 'boolean', aliases: ['v'] },
  q: { type: 'boolean' },
  help: { type: 'boolean', aliases: ['h'] },
  ...INTRO_JOIN_OPTIONS,
};

/** The probe's wait for a connection when --timeout is not given. */
const PROBE_TIMEOUT_MS = 5000;

export { joinedFromOutput } from '../join/command.js';

/** `discover join`'s command line, read and checked. */
interface JoinCommand {
  entries: string[];
  /** COMMAND ARGS... after `--`; empty without one. */
  command: string[];
  format: 'text' | 'json';
  quiet: boolean;
  verbose: boolean;
  probe: boolean;
  minJoined: number;
  watch: boolean;
  plugins: string[];
  /** The client introduction token flags (--intro-token, --intro-token-env, --state-dir). */
  intro: IntroJoinValues;
  /** --from-config paths and --mode. */
  agentConfig: { paths: string[]; mode: 'server' | 'client' | 'lan' | 'wan' | undefined } | undefined;
  options: Partial<RetryJoinOptions>;
}

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

/**
 * Runs `discover join`. The CLI's dispatcher hands it everything after `join`, and the global
 * flags given before it (`discover --timeout 5s join ...`); flags after `join` win.
 * @returns the exit code
 */
export async function runJoin(argv: string[], io: CliIo, globals: FlagValues = {}): Promise<number> {
  let entries: readonly string[] = [];
  try {
    const parsed = parseJoinArgs(argv, globals, io.env);
    if (parsed === 'help') {
      io.stdout(JOIN_USAGE);
      return EXIT_OK;
    }
    entries = parsed.entries;
    return await join(await withAgentConfig(parsed, io), io);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}${await parseHint(error, entries)}\n`);
    if (isConfigError(error)) return EXIT_USAGE;
    return EXIT_FAILED;
  }
}

/**
 * After an entry's config-string parse error, the hint `addrs` and `check` give (config-hint.ts),
 * for the entry that does not parse. Each entry is one argument, so the quotes of a value with
 * spaces go inside it.
 */
async function parseHint(error: unknown, entries: readonly string[]): Promise<string> {
  if (!(error instanceof ConfigParseError)) return '';
  const { parseConfig } = await import('../config/index.js');
  // The entry that fails the same way (an address or `exec=` entry is no config string).
  const cfg = entries.find((entry) => {
    try {
      parseConfig(entry.trim());
      return false;
    } catch (failure) {
      return failure instanceof ConfigParseError && failure.offset === error.offset && failure.keyAt === error.keyAt;
    }
  });
  if (cfg === undefined) return '';
  const { parseErrorHint } = await import('./config-hint.js');
  return parseErrorHint(error, { cfg: cfg.trim(), command: 'join', takesValue: (flag) => OPTIONS[flag.replace(/^--?/, '')]?.type === 'string' });
}

/** The flags after `join` over the global ones before it (plugins add up). */
function joinFlags(argv: string[], globals: FlagValues): { values: FlagValues; positionals: string[]; command: string[]; dashes: boolean } {
  const dashes = argv.indexOf('--');
  const { values, positionals } = parseFlags(dashes < 0 ? argv : argv.slice(0, dashes), OPTIONS, {
    where: 'discover join',
    hint: "Run 'discover help join' for usage.",
    notAValue: configWord,
  });
  const merged: FlagValues = { ...globals, ...values };
  merged.plugin = [...((globals.plugin as string[] | undefined) ?? []), ...((values.plugin as string[] | undefined) ?? [])];
  return { values: merged, positionals, command: dashes < 0 ? [] : argv.slice(dashes + 1), dashes: dashes >= 0 };
}

/** Reads the flags into a {@link JoinCommand}; `'help'` for -h. @throws UsageError */
function parseJoinArgs(argv: string[], globals: FlagValues, env: Record<string, string | undefined>): JoinCommand | 'help' {
  const { values, positionals, command, dashes } = joinFlags(argv, globals);
  const text = (name: string) => values[name] as string | undefined;
  if (values.help) return 'help';
  if (dashes && command.length === 0) throw new UsageError('join: "--" must be followed by a command');
  const format = text('format') ?? 'text';
  checkFormat(format);
  const probe = text('probe');
  if (probe !== undefined && probe !== 'tcp') throw new UsageError(`--probe: "${probe}" is not one of tcp`);
  const mode = text('mode');
  if (mode !== undefined && !values['from-config']) throw new UsageError('--mode needs --from-config');
  if (mode !== undefined && !['server', 'client', 'lan', 'wan'].includes(mode)) {
    throw new UsageError(`--mode: "${mode}" is not one of server, client, lan, wan`);
  }
  if (text('watch-interval') !== undefined && !values.watch) throw new UsageError('--watch-interval needs --watch');
  return {
    entries: positionals,
    command,
    format,
    quiet: values.q === true,
    verbose: values.verbose === true,
    probe: probe === 'tcp',
    minJoined: integer(text('min'), '--min', 1) ?? 1,
    watch: values.watch === true,
    plugins: [...(values.plugin as string[]), ...(env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)],
    intro: { 'intro-token': text('intro-token'), 'intro-token-env': text('intro-token-env'), 'state-dir': text('state-dir') },
    agentConfig: values['from-config'] ? { paths: values['from-config'] as string[], mode: mode as 'server' | undefined } : undefined,
    options: retryOptions(values),
  };
}

/** The loop's timing flags as {@link RetryJoinOptions}. @throws UsageError */
function retryOptions(values: FlagValues): Partial<RetryJoinOptions> {
  const text = (name: string) => values[name] as string | undefined;
  const options: Partial<RetryJoinOptions> = {};
  if (text('retry-interval') !== undefined) options.retryInterval = toMs(text('retry-interval') as string, '--retry-interval');
  const retryMax = integer(text('retry-max'), '--retry-max', 0);
  if (retryMax !== undefined) options.retryMax = retryMax;
  const defaultPort = integer(text('default-port'), '--default-port', 0, 65535);
  if (defaultPort !== undefined) options.defaultPort = defaultPort;
  if (text('timeout') !== undefined) options.timeout = toMs(text('timeout') as string, '--timeout');
  if (values.backoff || text('backoff-initial') !== undefined || text('backoff-max') !== undefined) {
    options.backoff = {
      ...(text('backoff-initial') === undefined ? {} : { initial: toMs(text('backoff-initial') as string, '--backoff-initial') }),
      ...(text('backoff-max') === undefined ? {} : { max: toMs(text('backoff-max') as string, '--backoff-max') }),
    };
  }
  if (values.watch) {
    options.watch = text('watch-interval') === undefined ? true : { interval: toMs(text('watch-interval') as string, '--watch-interval') };
  }
  if (values.lenient) options.lenient = true;
  return options;
}

/**
 * `--from-config`: the agent config's entries go first, and its interval, attempts and port
 * apply unless a flag gives them.
 */
async function withAgentConfig(parsed: JoinCommand, io: CliIo): Promise<JoinCommand> {
  let { entries, options } = parsed;
  if (parsed.agentConfig) {
    const { readAgentConfig } = await import('../join/index.js');
    const { paths, mode } = parsed.agentConfig;
    const agent = await readAgentConfig(
      paths.map((p) => resolve(io.cwd, p)),
      { mode },
    );
    if (!parsed.quiet) for (const warning of agent.warnings) io.stderr(`[WARN] agent.joiner: ${warning}\n`);
    entries = [...agent.entries, ...entries];
    options = { retryInterval: agent.retryIntervalMs, retryMax: agent.retryMax, defaultPort: agent.defaultPort, ...options };
  }
  if (entries.length === 0) throw new UsageError(`join: no entries given\n\n${JOIN_USAGE}`);
  return { ...parsed, entries, options };
}

/** Prints a successful join: the addresses on one line (without COMMAND), or JSON. */
function printer(cli: JoinCommand, io: CliIo) {
  return (result: Pick<RetryJoinResult, 'addresses' | 'joined' | 'attempts' | 'elapsedMs'>) => {
    if (cli.format === 'json') {
      io.stdout(`${JSON.stringify({ joined: result.joined, attempts: result.attempts, elapsed_ms: result.elapsedMs, addresses: result.addresses })}\n`);
    } else if (cli.command.length === 0) {
      io.stdout(`${result.addresses.join(' ')}\n`);
    }
  };
}

/**
 * The `join` callback: probe (with --probe tcp), then run COMMAND or count what was found.
 * `handedIn` tells which addresses an attempt actually handed on (the reachable subset).
 */
function joiner(cli: JoinCommand, io: CliIo, progress: Progress | undefined) {
  const probeMs = cli.options.timeout === undefined ? PROBE_TIMEOUT_MS : toMs(cli.options.timeout, '--timeout');
  let handed: { attempt: number; addresses: string[] } | undefined;
  const handedIn = (attempt: number, fallback: string[]) => (handed?.attempt === attempt ? handed.addresses : fallback);
  const join = async (addresses: string[], info: JoinInfo): Promise<number> => {
    const { reachable, runJoinCommand } = await import('../join/index.js');
    const { loopbackOnlyFrom } = await import('../http/client.js');
    const usable = cli.probe ? await reachable(addresses, cli.minJoined, probeMs, info.signal, loopbackOnlyFrom(io.env)) : addresses;
    handed = { attempt: info.attempt, addresses: usable };
    if (cli.command.length > 0) {
      const interrupted = (write: (text: string) => void) => (text: string) => {
        progress?.interrupted();
        write(text);
      };
      return runJoinCommand(cli.command, usable, {
        // The introduction token, if any, reaches COMMAND in its variable and nowhere else.
        env: introCommandIo(io, cli.intro, info.introToken).env,
        cwd: io.cwd,
        signal: info.signal,
        onStdout: interrupted(io.stdout),
        onStderr: interrupted(io.stderr),
      });
    }
    if (usable.length < cli.minJoined) throw new Error(`found ${usable.length} of the ${cli.minJoined} addresses needed`);
    return usable.length;
  };
  return { join, handedIn };
}

async function join(cli: JoinCommand, io: CliIo): Promise<number> {
  const { Discover } = await import('../discover.js');
  const { retryJoin } = await import('../join/index.js');
  const print = printer(cli, io);
  const progress = cli.quiet
    ? undefined
    : createProgress({
        write: io.stderr,
        // Log lines (-v) would be overwritten by a redraw.
        redraw: io.isTTY && cli.format === 'text' && !cli.verbose,
        format: cli.format,
        minJoined: cli.minJoined,
        counted: cli.command.length > 0 ? 'joined' : 'found',
        columns: process.stderr.columns,
      });
  const { join, handedIn } = joiner(cli, io, progress);
  const started = Date.now();
  const onAttempt = (report: AttemptReport) => {
    progress?.attempt(report);
    // In watch mode every successful re-join is news: print it as it happens.
    if (!cli.watch || report.error || report.joined === 0) return;
    progress?.interrupted();
    print({ addresses: handedIn(report.attempt, report.addresses), joined: report.joined, attempts: report.attempt, elapsedMs: Date.now() - started });
  };
  try {
    const result = await retryJoin({
      ...cli.options,
      entries: cli.entries,
      minJoined: cli.minJoined,
      signal: io.signal,
      logger: cliLogger(io, cli.quiet, cli.verbose),
      env: io.env,
      introToken: introJoinOption(cli.intro, io, cli.quiet || cli.verbose),
      engine: cli.plugins.length > 0 ? new Discover({ plugins: cli.plugins }) : undefined,
      join,
      onAttemptStart: progress ? (attempt) => progress.started(attempt) : undefined,
      onAttempt,
    });
    if (!cli.watch) print({ ...result, addresses: handedIn(result.attempts, result.addresses) });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof AbortError) {
      io.stderr('discover join: stopped before joining\n');
      return EXIT_FAILED;
    }
    throw error;
  } finally {
    progress?.stop();
  }
}

/**
 * The `discover` command line: argv -> library calls -> stdout / stderr / exit code.
 * Exit codes: 0 success, 1 discovery failed, 2 usage or config error.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toMs } from '../duration.js';
import { ConfigParseError, isConfigError, UsageError } from '../errors.js';
import { lineLogger, silentLogger } from '../log.js';
import { didYouMean } from '../suggest.js';
import type { HintContext } from './config-hint.js';
import { checkFormat, configWord, type FlagSpec, type FlagSpecs, type FlagValues, isPair, parseFlags, shownWord } from './flags.js';
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './io.js';

export const USAGE = `Usage: discover [flags] <command> [args]

Commands:
  addrs key=val key=val ...   discover addresses; prints them on one line
  check key=val key=val ...   parse and validate a config string, no network
  join [flags] ENTRY... [-- COMMAND ARGS...]
                              retry until peers are found or joined
  sim [--fleet FILE] [--port N]
                              serve the simulated cloud on 127.0.0.1
  intro keygen|create|inspect|verify
                              client introduction tokens (Nomad's format)
  providers                   list the providers
  help [topic]                this help; a provider's arguments (help aws),
                              a command's flags (help join, help sim), or
                              every provider's arguments (help all)
  version                     print the version

Flags (before or after the command; Go forms -q=true, -timeout=5s work too):
  -q                 no log output (errors are still printed)
  -h, --help         print this help
  --version          print the version
  --format text|json output format (default text)
  --timeout D        bound on discovery, ms or Go duration (default 60s)
  --plugin P         load a provider plugin (npm module or path); repeatable,
                     also DISCOVER_PLUGINS=a,b
  --lenient          unknown keys are warnings, not errors
`;

/** The end of the short help: where the rest is. */
const HELP_FOOTER = `
The config string is "key=value key=value ..." (double-quote values with spaces):

    discover addrs provider=aws region=eu-west-1 tag_key=role tag_value=nomad

Run 'discover help <provider>' for its arguments, 'discover help all' for every
provider's, 'discover help join' or 'discover help sim' for those commands.
`;

/** The short help: usage, the providers one line each, and where the rest is. */
export function shortHelp(providers: ReadonlyArray<{ name: string; summary: string }>): string {
  return `${USAGE}
Providers:
${providerLines(providers, '  ')}${HELP_FOOTER}`;
}

function providerLines(providers: ReadonlyArray<{ name: string; summary: string }>, indent = ''): string {
  const width = Math.max(...providers.map((p) => p.name.length)) + 2;
  return providers.map((p) => `${indent}${p.name.padEnd(width)}${p.summary}\n`).join('');
}

const GLOBAL_FLAGS: FlagSpecs = {
  q: { type: 'boolean' },
  help: { type: 'boolean', aliases: ['h'] },
  version: { type: 'boolean' },
  format: { type: 'string', check: checkFormat },
  timeout: { type: 'string', check: (value) => toMs(value, '--timeout') },
  plugin: { type: 'string', multiple: true },
  lenient: { type: 'boolean' },
};

/** Flags every command takes, as `discover join` reads them after its own name. */
export const SHARED_FLAGS: FlagSpecs = { plugin: GLOBAL_FLAGS.plugin as FlagSpec, lenient: GLOBAL_FLAGS.lenient as FlagSpec };

const COMMANDS = ['addrs', 'check', 'join', 'sim', 'intro', 'providers', 'help', 'version'];
const HINT = "Run 'discover help' for usage.";

/** Errors that waiting cannot fix (their classes say so): exit 2. */
export { isConfigError };

/** Before the command, a command word too. */
const commandOrConfigWord = (word: string) => (COMMANDS.includes(word) ? `"${word}" is the command` : configWord(word));

/** Whether a word is a global flag that takes a value (`--timeout`, `-format=`). */
function takesValue(word: string): boolean {
  const name = /^--?([^=]*)/.exec(word)?.[1] ?? '';
  return GLOBAL_FLAGS[name]?.type === 'string';
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Set once the config string is known, for the hint after a parse error.
  const parsing: { context?: HintContext } = {};
  try {
    return await dispatch(argv, io, parsing);
  } catch (error) {
    let hint = '';
    if (error instanceof ConfigParseError && parsing.context !== undefined) {
      hint = (await import('./config-hint.js')).parseErrorHint(error, parsing.context);
    }
    io.stderr(`${error instanceof Error ? error.message : String(error)}${hint}\n`);
    return isConfigError(error) ? EXIT_USAGE : EXIT_FAILED;
  }
}

/** The global flags given before the command and after it, merged (repeatable flags add up). */
function mergeFlags(before: FlagValues, after: FlagValues): FlagValues {
  const merged: FlagValues = { ...before, ...Object.fromEntries(Object.entries(after).filter(([, v]) => v !== undefined)) };
  if (before.plugin || after.plugin) merged.plugin = [...((before.plugin as string[]) ?? []), ...((after.plugin as string[]) ?? [])];
  return merged;
}

/** `--plugin` values, then `DISCOVER_PLUGINS=a,b`. */
export function pluginList(values: FlagValues, env: Record<string, string | undefined>): string[] {
  return [...((values.plugin as string[] | undefined) ?? []), ...(env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)];
}

async function dispatch(argv: string[], io: CliIo, parsing: { context?: HintContext }): Promise<number> {
  // Global flags up to the command word; a flag's value (`--timeout 5s`) is never taken for it.
  const global = parseFlags(argv, GLOBAL_FLAGS, {
    where: 'discover',
    until: (arg) => !arg.startsWith('-') || arg === '-',
    hint: HINT,
    notAValue: commandOrConfigWord,
  });
  const command = argv[global.end];
  const rest = argv.slice(global.end + 1);
  if (global.values.version && command === undefined) return printVersion(io);
  if (command === undefined) {
    // As go-discover: no arguments (or -h) prints the help and exits 0.
    io.stdout(await helpFor([], global.values, io));
    return EXIT_OK;
  }
  if (!COMMANDS.includes(command)) {
    throw new UsageError(`discover: unknown command "${shownWord(command)}"${didYouMean(command, COMMANDS)}\n${HINT}`);
  }
  if (command === 'join') {
    const { runJoin } = await import('./join.js');
    return runJoin(rest, io, global.values);
  }
  if (command === 'sim') return runSimCommand(rest, io, global.values);
  if (command === 'intro') return (await import('./intro.js')).runIntro(rest, io);

  // Global flags may also follow the command, up to the first key=value.
  const local = parseFlags(rest, GLOBAL_FLAGS, {
    where: `discover ${command}`,
    until: isPair,
    hint: HINT,
    notAValue: configWord,
  });
  const values = mergeFlags(global.values, local.values);
  const words = [...local.positionals, ...rest.slice(local.end)];
  const format = (values.format as string | undefined) ?? 'text';
  if ((command === 'providers' || command === 'version') && words.length > 0) {
    throw new UsageError(`discover ${command}: unexpected argument "${shownWord(words[0] as string)}" (${command} takes no arguments)\n${HINT}`);
  }
  if (command === 'version' || values.version) return printVersion(io);
  if (command === 'help' || values.help) {
    io.stdout(await helpFor(command === 'help' ? words : [command], values, io));
    return EXIT_OK;
  }
  const plugins = pluginList(values, io.env);
  if (plugins.length === 0 && command === 'providers') {
    const cached = fromHelpCache('providers', [], format);
    if (cached !== undefined) {
      io.stdout(cached);
      return EXIT_OK;
    }
  }
  const { Discover } = await import('../discover.js');
  const engine = new Discover({ plugins });
  const lenient = values.lenient as boolean | undefined;
  switch (command) {
    case 'addrs': {
      const quiet = values.q === true;
      const logger = quiet ? silentLogger : lineLogger(io.stderr);
      const timeout = values.timeout === undefined ? undefined : toMs(values.timeout as string, '--timeout');
      if (!quiet) io.stderr(`Registered providers: [${(await engine.names()).join(' ')}]\n`);
      // As go-discover: the arguments are joined with single spaces into one config string.
      const cfg = words.join(' ');
      parsing.context = { cfg, command, takesValue };
      // One deadline from the process's start: loading the CLI and the provider is inside --timeout.
      const { DEFAULT_TIMEOUT_MS } = await import('../discover.js');
      const timeoutMs = timeout ?? DEFAULT_TIMEOUT_MS;
      const deadline = timeoutMs > 0 ? (io.startedAt ?? Date.now()) + timeoutMs : undefined;
      const options = { logger, timeout, deadline, signal: io.signal, env: io.env, lenient };
      if (format === 'json') {
        const { targetAddress } = await import('../discover.js');
        const targets = await engine.discover(cfg, options);
        io.stdout(
          `${JSON.stringify(
            targets.map((t) => ({ addr: targetAddress(t), ...t })),
            null,
            2,
          )}\n`,
        );
      } else {
        io.stdout(`${(await engine.addrs(cfg, options)).join(' ')}\n`);
      }
      return EXIT_OK;
    }
    case 'check': {
      parsing.context = { cfg: words.join(' '), command, takesValue };
      const checked = await engine.check(parsing.context.cfg, { env: io.env, lenient });
      for (const warning of checked.validated.warnings) io.stderr(`${warning}\n`);
      if (format === 'json') {
        const { redactArgs } = await import('../args.js');
        const args = redactArgs(checked.provider, checked.validated.args);
        io.stdout(`${JSON.stringify({ provider: checked.provider.name, config: checked.redacted, args, sources: checked.validated.sources }, null, 2)}\n`);
      } else {
        io.stdout(`${checked.redacted}\n`);
      }
      return EXIT_OK;
    }
    default: {
      const providers = await Promise.all((await engine.names()).map((name) => engine.provider(name)));
      if (format === 'json') {
        io.stdout(
          `${JSON.stringify(
            providers.map((p) => ({ name: p.name, summary: p.summary })),
            null,
            2,
          )}\n`,
        );
      } else {
        io.stdout(providerLines(providers));
      }
      return EXIT_OK;
    }
  }
}

async function printVersion(io: CliIo): Promise<number> {
  const { version } = await import('../version.js');
  io.stdout(`autojoin ${version}\n`);
  return EXIT_OK;
}

/** Help for the built-in providers, written by the build from their descriptors (dist/builtin-help.json). */
interface HelpCache {
  full: string;
  providers: Array<{ name: string; summary: string; help: string }>;
}

let helpCache: HelpCache | null | undefined;
function loadHelpCache(): HelpCache | undefined {
  if (helpCache === undefined) {
    try {
      helpCache = JSON.parse(readFileSync(new URL('../../builtin-help.json', import.meta.url), 'utf8')) as HelpCache;
    } catch {
      helpCache = null; // running from src/ (tests, tsx): computed from the descriptors instead
    }
  }
  return helpCache ?? undefined;
}

/**
 * `help` and `providers` without plugins, answered without loading a provider module: the cold
 * start of a bare node (bench/cold-start). Undefined when the cache cannot answer (unknown name).
 */
function fromHelpCache(verb: 'help' | 'providers', topics: string[], format: string): string | undefined {
  const cache = loadHelpCache();
  if (!cache) return undefined;
  if (verb === 'providers') {
    if (format === 'json')
      return `${JSON.stringify(
        cache.providers.map(({ name, summary }) => ({ name, summary })),
        null,
        2,
      )}\n`;
    return providerLines(cache.providers);
  }
  if (topics.length === 0) return shortHelp(cache.providers);
  const sections = topics.map((topic) => (topic === 'all' ? `${USAGE}\n${cache.full}` : cache.providers.find((p) => p.name === topic)?.help));
  return sections.every((section) => section !== undefined) ? sections.join('') : undefined;
}

/** The commands' own help, by topic. */
async function commandHelp(topic: string): Promise<string | undefined> {
  if (topic === 'join') return (await import('./join.js')).JOIN_USAGE;
  if (topic === 'sim') return SIM_USAGE;
  if (topic === 'addrs' || topic === 'check' || topic === 'providers' || topic === 'version') return USAGE;
  return undefined;
}

/**
 * `discover help [topic...]`: the short help; `all` for every provider's arguments; a command's
 * flags (`join`, `sim`); a provider's arguments.
 */
async function helpFor(topics: string[], values: FlagValues, io: CliIo): Promise<string> {
  const plugins = pluginList(values, io.env);
  const sections: string[] = [];
  const providerTopics: string[] = [];
  for (const topic of topics) {
    const text = await commandHelp(topic);
    if (text === undefined) providerTopics.push(topic);
    else sections.push(text);
  }
  if (providerTopics.length === 0 && sections.length > 0) return sections.join('\n');
  const cached = plugins.length === 0 && sections.length === 0 ? fromHelpCache('help', providerTopics, 'text') : undefined;
  if (cached !== undefined) return cached;
  const { Discover } = await import('../discover.js');
  const { fullHelp, providerHelp } = await import('../help.js');
  const engine = new Discover({ plugins });
  const names = await engine.names();
  const unknown = providerTopics.find((topic) => topic !== 'all' && !names.includes(topic));
  if (unknown !== undefined) {
    const suggestion = didYouMean(unknown, [...names, 'join', 'sim', 'all']);
    throw new UsageError(`discover: unknown help topic "${shownWord(unknown)}": a provider (discover providers) or join, sim, all${suggestion}`);
  }
  const providers = await Promise.all(names.map((name) => engine.provider(name)));
  if (topics.length === 0) return shortHelp(providers);
  for (const topic of providerTopics) {
    sections.push(topic === 'all' ? `${USAGE}\n${fullHelp(providers)}` : providerHelp(await engine.provider(topic)));
  }
  return sections.join('\n');
}

export const SIM_USAGE = `Usage: discover sim [--fleet FILE] [--port N]

Serves the simulated cloud (every provider's API, their metadata and token
endpoints, and a CA) on 127.0.0.1, and prints the environment and the commands
to paste into another shell. Stops on SIGINT or SIGTERM.

Flags:
  --fleet FILE   the fleet to serve (default: the demo fleet)
  --port N       port to listen on (default: any free port)
  -h, --help     this help
`;

const SIM_FLAGS: FlagSpecs = { fleet: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', aliases: ['h'] } };

async function runSimCommand(argv: string[], io: CliIo, global: FlagValues): Promise<number> {
  const { values, positionals } = parseFlags(argv, SIM_FLAGS, { where: 'discover sim', hint: "Run 'discover help sim' for usage." });
  if (values.help) {
    io.stdout(SIM_USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`discover sim: unexpected argument "${positionals[0]}"\nRun 'discover help sim' for usage.`);
  const portText = values.port as string | undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65534) throw new UsageError(`discover sim: --port: "${portText}" is not a port number`);
  }
  const format = (global.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of text, json`);
  const { runSim } = await import('../sim/index.js');
  const { discoverCommand } = await import('./self-command.js');
  const { Discover } = await import('../discover.js');
  // Plugins (--plugin, DISCOVER_PLUGINS) may bring simulated APIs of their own.
  const modules = await new Discover({ plugins: pluginList(global, io.env) }).simModules();
  // The script that was run (bin/discover.cjs when installed), to compare with `discover` on PATH.
  const command = discoverCommand(io.env, io.cwd, process.argv[1] ?? fileURLToPath(new URL('./main.js', import.meta.url)));
  await runSim({ fleetPath: values.fleet as string | undefined, port, modules, format, stdout: io.stdout, signal: io.signal, command });
  return EXIT_OK;
}

/**
 * The `discover` command line: argv -> library calls -> stdout / stderr / exit code.
 * Exit codes: 0 success, 1 discovery failed, 2 usage or config error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { toMs } from '../duration.js';
import { isConfigError, UsageError } from '../errors.js';
import { lineLogger, silentLogger } from '../log.js';
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
  help [provider]             this help, or one provider's
  version                     print the version

Flags (before the first key=value):
  -q                 no log output (errors are still printed)
  -h, --help         print this help
  --format text|json output format (default text)
  --timeout D        bound on discovery, ms or Go duration (default 60s)
  --plugin P         load a provider plugin (npm module or path); repeatable,
                     also DISCOVER_PLUGINS=a,b
  --lenient          unknown keys are warnings, not errors
`;

const OPTIONS = {
  q: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  format: { type: 'string' },
  timeout: { type: 'string' },
  plugin: { type: 'string', multiple: true },
  lenient: { type: 'boolean' },
} as const;

/** Errors that waiting cannot fix (their classes say so): exit 2. */
export { isConfigError };

/** Index of the first `key=value` argument (not a flag), or argv.length. */
function configStart(argv: readonly string[]): number {
  const index = argv.findIndex((arg) => !arg.startsWith('-') && arg.includes('='));
  return index < 0 ? argv.length : index;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return isConfigError(error) ? EXIT_USAGE : EXIT_FAILED;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  // `join` and `sim` own their flags; global flags may precede them.
  // Global flags that take a value (`--format json`) are skipped with their value.
  const valueFlags = new Set(['--format', '-format', '--timeout', '-timeout', '--plugin', '-plugin']);
  const commandIndex = argv.findIndex((arg, i) => !arg.startsWith('-') && !valueFlags.has(argv[i - 1] ?? ''));
  const command = commandIndex < 0 ? undefined : argv[commandIndex];
  if (command === 'intro') return (await import('./intro.js')).runIntro(argv.slice(commandIndex + 1), io);
  if (command === 'join' || command === 'sim') {
    const global = parseFlags(argv.slice(0, commandIndex));
    const rest = argv.slice(commandIndex + 1);
    if (command === 'join') {
      const { runJoin } = await import('./join.js');
      return runJoin(global.values.q ? ['-q', ...rest] : rest, io);
    }
    return runSimCommand(rest, io, global.values.plugin, global.values.format);
  }

  const split = configStart(argv);
  const { values, positionals } = parseFlags(argv.slice(0, split));
  const words = [...positionals, ...argv.slice(split)];
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of text, json`);
  if (values.help || words.length === 0) {
    // As go-discover: no arguments prints the help and exits 0.
    io.stdout(await helpText(values.plugin, io));
    return EXIT_OK;
  }
  const [verb, ...rest] = words;
  const plugins = [...(values.plugin ?? []), ...(io.env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)];
  if (plugins.length === 0 && (verb === 'help' || verb === 'providers')) {
    const cached = fromHelpCache(verb, rest, format);
    if (cached !== undefined) {
      io.stdout(cached);
      return EXIT_OK;
    }
  }
  if (verb === 'version') {
    const { version } = await import('../version.js');
    io.stdout(`autojoin ${version}\n`);
    return EXIT_OK;
  }
  const { DEFAULT_TIMEOUT_MS, Discover } = await import('../discover.js');
  const engine = new Discover({ plugins });
  switch (verb) {
    case 'addrs': {
      const logger = values.q ? silentLogger : lineLogger(io.stderr);
      const timeout = values.timeout === undefined ? undefined : toMs(values.timeout, '--timeout');
      if (!values.q) io.stderr(`Registered providers: [${(await engine.names()).join(' ')}]\n`);
      // As go-discover: the arguments are joined with single spaces into one config string.
      const cfg = rest.join(' ');
      const timeoutMs = timeout ?? DEFAULT_TIMEOUT_MS;
      const deadline = timeoutMs > 0 ? (io.startedAt ?? Date.now()) + timeoutMs : undefined;
      const options = { logger, timeout, deadline, signal: io.signal, env: io.env, lenient: values.lenient };
      if (format === 'json') {
        const { targetAddress } = await import('../discover.js');
        const targets = await engine.discover(cfg, options);
        io.stdout(`${JSON.stringify(targets.map((t) => ({ addr: targetAddress(t), ...t })), null, 2)}\n`);
      } else {
        io.stdout(`${(await engine.addrs(cfg, options)).join(' ')}\n`);
      }
      return EXIT_OK;
    }
    case 'check': {
      const checked = await engine.check(rest.join(' '), { env: io.env, lenient: values.lenient });
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
    case 'help': {
      if (rest.length === 0) {
        io.stdout(await helpText(values.plugin, io));
        return EXIT_OK;
      }
      const { providerHelp } = await import('../help.js');
      for (const name of rest) io.stdout(providerHelp(await engine.provider(name)));
      return EXIT_OK;
    }
    case 'providers': {
      const providers = await Promise.all((await engine.names()).map((name) => engine.provider(name)));
      if (format === 'json') {
        io.stdout(`${JSON.stringify(providers.map((p) => ({ name: p.name, summary: p.summary })), null, 2)}\n`);
      } else {
        const width = Math.max(...providers.map((p) => p.name.length)) + 2;
        for (const p of providers) io.stdout(`${p.name.padEnd(width)}${p.summary}\n`);
      }
      return EXIT_OK;
    }
    default:
      throw new UsageError(`discover: unknown command "${verb}"\n\n${USAGE}`);
  }
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`discover: ${(error as Error).message}\n\n${USAGE}`);
  }
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
function fromHelpCache(verb: string, names: string[], format: string): string | undefined {
  const cache = loadHelpCache();
  if (!cache) return undefined;
  if (verb === 'providers') {
    if (format === 'json') return `${JSON.stringify(cache.providers.map(({ name, summary }) => ({ name, summary })), null, 2)}\n`;
    const width = Math.max(...cache.providers.map((p) => p.name.length)) + 2;
    return cache.providers.map((p) => `${p.name.padEnd(width)}${p.summary}\n`).join('');
  }
  if (names.length === 0) return `${USAGE}\n${cache.full}`;
  const sections = names.map((name) => cache.providers.find((p) => p.name === name)?.help);
  return sections.every((section) => section !== undefined) ? sections.join('') : undefined;
}

async function helpText(plugins: string[] | undefined, io: CliIo): Promise<string> {
  const all = [...(plugins ?? []), ...(io.env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)];
  const cached = all.length === 0 ? fromHelpCache('help', [], 'text') : undefined;
  if (cached !== undefined) return cached;
  const { Discover } = await import('../discover.js');
  const { fullHelp } = await import('../help.js');
  const engine = new Discover({ plugins: [...(plugins ?? []), ...(io.env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)] });
  const providers = await Promise.all((await engine.names()).map((name) => engine.provider(name)));
  return `${USAGE}\n${fullHelp(providers)}`;
}

async function runSimCommand(argv: string[], io: CliIo, plugins: string[] = [], format = 'text'): Promise<number> {
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format: "${format}" is not one of text, json`);
  let values: { fleet?: string; port?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { fleet: { type: 'string' }, port: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new UsageError(`discover sim: ${(error as Error).message}\nUsage: discover sim [--fleet FILE] [--port N]`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65534) throw new UsageError(`discover sim: --port: "${values.port}" is not a port number`);
  }
  const { runSim } = await import('../sim/index.js');
  const { Discover } = await import('../discover.js');
  // Plugins (--plugin, DISCOVER_PLUGINS) may bring simulated APIs of their own.
  const engine = new Discover({ plugins: [...plugins, ...(io.env.DISCOVER_PLUGINS ?? '').split(',').filter(Boolean)] });
  const modules = await engine.simModules();
  await runSim({ fleetPath: values.fleet, port, modules, format, stdout: io.stdout, signal: io.signal });
  return EXIT_OK;
}

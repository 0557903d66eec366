/**
 * The engine: parse -> look up -> validate -> run -> normalise targets.
 * Errors keep go-discover's texts: `discover: no provider`, `discover: unknown provider X`,
 * `discover: <parse error>`.
 */
import { formatHostPort, ipVersion } from './address.js';
import { type ValidatedArgs, secretKeys, validateArgs } from './args.js';
import { DEFAULT_SECRET_KEYS, formatConfig, parseConfig } from './config/index.js';
import { toMs } from './duration.js';
import {
  AbortError,
  AutojoinError,
  ConfigParseError,
  HttpStatusError,
  MalformedResponseError,
  MissingPackageError,
  NetworkError,
  ProviderError,
  ProxyError, NoProviderError, TimeoutError, UnknownProviderError, UsageError } from './errors.js';
import type { HttpClient } from './http/types.js';
import { type Logger, silentLogger } from './log.js';
import type { AnyProvider, ProviderContext, Target } from './provider.js';
import { ProviderRegistry } from './registry.js';
import { REDACTED } from './redact.js';
import { redactUrl } from './http/redact.js';

/** The timeout a discovery call gets when the caller gives none. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface DiscoverOptions {
  /** Bound on the whole call, milliseconds or a Go duration (`'30s'`); 0 disables it. @default 60000 */
  timeout?: number | string;
  signal?: AbortSignal;
  /** Receives `[DEBUG] discover: Using provider "aws"` and the providers' lines. @default silent */
  logger?: Logger;
  /** Appended to `autojoin/<version>` in the User-Agent. */
  userAgent?: string;
  /** Unknown keys are warnings, not errors (for migrating odd configs). @default false */
  lenient?: boolean;
  /** Environment for env fallbacks, proxies and SDKs. @default process.env */
  env?: Record<string, string | undefined>;
  /** Reuse an HTTP client (keep-alive across calls); one is made per call otherwise. */
  http?: HttpClient;
  /** Attempts per API call under the retry policy (1 = no provider-level retries). @default 4 */
  maxAttempts?: number;
}

/** What `check` returns: the config as it would run, without any network call. */
export interface CheckedConfig {
  provider: AnyProvider;
  /** The parsed pairs. */
  config: Map<string, string>;
  /** The normalised config string with secret values printed as `***`. */
  redacted: string;
  validated: ValidatedArgs;
}

export interface DiscoverConstructorOptions {
  /** Extra providers, registered after the built-ins. */
  providers?: AnyProvider[];
  /** Plugin modules or paths, loaded on first use. */
  plugins?: string[];
  /** Include the built-in providers. @default true */
  builtins?: boolean;
}

/** A set of providers and the calls that use them. `new Discover()` has every built-in. */
export class Discover {
  readonly registry: ProviderRegistry;
  readonly #plugins: string[];
  #pluginsLoaded: Promise<void> | undefined;

  constructor(options: DiscoverConstructorOptions = {}) {
    this.registry = new ProviderRegistry(options.builtins ?? true);
    for (const provider of options.providers ?? []) this.registry.register(provider);
    this.#plugins = [...(options.plugins ?? [])];
  }

  async #ready(): Promise<void> {
    this.#pluginsLoaded ??= (async () => {
      for (const plugin of this.#plugins) await this.registry.loadPlugin(plugin);
    })();
    return this.#pluginsLoaded;
  }

  /** Sorted provider names. */
  async names(): Promise<string[]> {
    await this.#ready();
    return this.registry.names();
  }

  /** Loads one provider's descriptor. @throws UnknownProviderError */
  async provider(name: string): Promise<AnyProvider> {
    await this.#ready();
    if (!this.registry.has(name)) throw new UnknownProviderError(name, this.registry.names());
    return this.registry.load(name);
  }

  /**
   * Parses and validates a config string; no network call.
   * @throws ConfigParseError (prefixed `discover: `), NoProviderError, UnknownProviderError, ProviderArgsError
   */
  async check(cfg: string, options: Pick<DiscoverOptions, 'env' | 'lenient'> = {}): Promise<CheckedConfig> {
    // From plain JavaScript: `addrs(undefined)` would otherwise be a TypeError deep in the parser.
    if (typeof cfg !== 'string') throw new UsageError(`discover: the config string must be a string, not ${cfg === null ? 'null' : typeof cfg}`);
    let config: Map<string, string>;
    try {
      config = parseConfig(cfg);
    } catch (error) {
      if (error instanceof ConfigParseError) {
        const key = secretFragment(cfg, error.key) ? REDACTED : error.key;
        const message = key === error.key ? error.message : `${key}${error.message.slice(error.key.length)}`;
        throw new ConfigParseError(`discover: ${message}`, key, error.offset);
      }
      throw error;
    }
    const name = config.get('provider') ?? '';
    if (name === '') throw new NoProviderError();
    const provider = await this.provider(name);
    const validated = validateArgs(provider, config, options);
    const redacted = formatConfig(config, { redact: true, secretKeys: secretKeys(provider) });
    return { provider, config, redacted, validated };
  }

  /** Discovers targets. Duplicates (same address and port) are dropped, first kept, order kept. */
  async discover(cfg: string, options: DiscoverOptions = {}): Promise<Target[]> {
    const checked = await this.check(cfg, options);
    const log = options.logger ?? silentLogger;
    for (const warning of checked.validated.warnings) log.warn(warning);
    log.debug(`discover: Using provider "${checked.provider.name}"`);
    const targets = await runProvider(checked, options, log);
    return dedupe(checkTargets(checked.provider.name, targets));
  }

  /** go-discover's `Addrs`: `ip`, `host:port`, `[v6]:port` strings. */
  async addrs(cfg: string, options: DiscoverOptions = {}): Promise<string[]> {
    return (await this.discover(cfg, options)).map(targetAddress);
  }
}

async function runProvider(checked: CheckedConfig, options: DiscoverOptions, log: Logger): Promise<Target[]> {
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(options.timeout, 'timeout');
  const env = options.env ?? process.env;
  const controller = new AbortController();
  const { provider } = checked;
  let timer: NodeJS.Timeout | undefined;
  let rejectEarly: (error: Error) => void = () => {};
  const early = new Promise<never>((_, reject) => {
    rejectEarly = reject;
  });
  // Handled from the start: a timeout or abort may fire before the race below is set up.
  early.catch(() => {});
  const onAbort = () => {
    const error = new AbortError(`discover-${provider.name}`, { cause: options.signal?.reason });
    controller.abort(error);
    rejectEarly(error);
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      const error = new TimeoutError(`discover-${provider.name}`, timeoutMs);
      controller.abort(error);
      rejectEarly(error);
    }, timeoutMs);
  }
  try {
    const { createHttpClient } = await import('./http/index.js');
    const http = options.http ?? createHttpClient({ env, userAgent: options.userAgent });
    const ctx: ProviderContext = {
      http,
      log,
      signal: controller.signal,
      deadline: timeoutMs > 0 ? Date.now() + timeoutMs : undefined,
      userAgent: http.userAgent,
      env,
      maxAttempts: options.maxAttempts,
    };
    // The race guarantees the call never outlives its timeout, even if a provider ignores the signal.
    return await Promise.race([provider.discover(checked.validated.args as never, ctx), early]);
  } catch (error) {
    // Whatever the provider threw while being aborted, the caller learns why: timeout or abort.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw missingPackage(provider, error) ?? proxyRefusal(provider.name, error, env) ?? named(provider.name, error);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A proxy's refusal, however the provider's SDK wrapped it (hpagent's `Bad response: 407` deep in
 * an SDK error's causes, our client's `proxy refused the tunnel with HTTP 407`): one ProxyError
 * naming the proxy, without credentials, and its answer.
 */
function proxyRefusal(name: string, error: unknown, env: Record<string, string | undefined>): ProxyError | undefined {
  const proxy = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'HTTP_PROXY', 'http_proxy'].map((key) => env[key]).find((value) => value);
  if (!proxy) return undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const message = String((e as { message?: unknown }).message ?? '');
    const status = /\bBad response: (\d+)$/.exec(message)?.[1] ?? /proxy refused the tunnel with HTTP (\d+)/.exec(message)?.[1];
    if (status === undefined) continue;
    const hint = status === '407' || status === '401' ? ' (check the proxy credentials)' : '';
    let shown: string;
    try {
      shown = redactUrl(proxy.includes('://') ? proxy : `http://${proxy}`);
    } catch {
      shown = 'from HTTP(S)_PROXY';
    }
    return new ProxyError(name, shown, `HTTP ${status}${hint}`, { cause: error });
  }
  return undefined;
}

/**
 * An error that does not say which provider it came from (a plugin letting a `ctx.http` error or a
 * TypeError through) gets the `discover-<name>: ` prefix every provider error has.
 */
function named(name: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.message.startsWith(`discover-${name}`) || error.message.startsWith('discover-')) return error;
  // What ctx.http throws keeps its class and code, and gets the name; anything foreign becomes a ProviderError.
  if (error instanceof HttpStatusError || error instanceof NetworkError || error instanceof MalformedResponseError) {
    error.message = `discover-${name}: ${error.message}`;
    return error;
  }
  if (error instanceof AutojoinError) return error;
  return new ProviderError(name, error.message, { cause: error });
}

/**
 * What a provider returned, checked: every target an object with an IP or host name `address` and
 * an optional port in 1-65535. A plugin's malformed target is an error naming it, never printed as is.
 */
function checkTargets(name: string, targets: unknown): Target[] {
  const bad = (why: string) => new ProviderError(name, `returned a malformed target: ${why}`, { operation: 'discover' });
  if (!Array.isArray(targets)) throw bad(`expected an array of { address, port? }, got ${typeof targets}`);
  targets.forEach((target: unknown, i) => {
    const shown = JSON.stringify(target)?.slice(0, 80) ?? String(target);
    if (target === null || typeof target !== 'object') throw bad(`#${i} ${shown} is not an object { address, port? }`);
    const { address, port } = target as { address?: unknown; port?: unknown };
    if (typeof address !== 'string' || !(ipVersion(address) !== 0 || /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(address))) {
      throw bad(`#${i} ${shown}: address is not an IP address or host name`);
    }
    if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)) {
      throw bad(`#${i} ${shown}: port is not an integer in 0-65535`);
    }
  });
  return targets as Target[];
}

/**
 * A cloud SDK that is not installed (an optional peer dependency): the import's
 * "Cannot find package 'x'" becomes an error naming what to install.
 */
function missingPackage(provider: AnyProvider, error: unknown): MissingPackageError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find (?:package|module) '((?:@[^/']+\/)?[^/']+)/.exec((error as Error).message)?.[1];
  if (name === undefined || name.startsWith('.') || name.startsWith('/')) return undefined;
  return new MissingPackageError(provider.name, name, provider.packages ?? [], { cause: error });
}

/**
 * go-discover's parse errors name the token after a bad pair as a key. When that token is the
 * rest of an unquoted secret (`secret_access_key=abc def`), naming it would print part of the
 * secret, so the engine prints `***` instead (a documented deviation).
 */
function secretFragment(cfg: string, key: string): boolean {
  if (key === '') return false;
  const at = cfg.lastIndexOf(key);
  if (at < 0) return false;
  const before = /([^\s=]+)\s*=\s*\S+\s+$/.exec(cfg.slice(0, at));
  return before !== null && DEFAULT_SECRET_KEYS.includes(before[1] as string);
}

/** The go-discover string form of a target. */
export function targetAddress(target: Target): string {
  return formatHostPort(target.address, target.port);
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  const unique: Target[] = [];
  for (const target of targets) {
    const key = targetAddress(target);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(target);
  }
  return unique;
}

let shared: Discover | undefined;
const defaultInstance = () => {
  shared ??= new Discover();
  return shared;
};

/** Discovers targets with the built-in providers. @example await discover('provider=aws tag_key=role tag_value=nomad') */
export function discover(cfg: string, options?: DiscoverOptions): Promise<Target[]> {
  return defaultInstance().discover(cfg, options);
}

/** Discovers addresses (go-discover's `Addrs`) with the built-in providers. */
export function addrs(cfg: string, options?: DiscoverOptions): Promise<string[]> {
  return defaultInstance().addrs(cfg, options);
}

/** Parses and validates a config string with the built-in providers; no network. */
export function checkConfig(cfg: string, options?: Pick<DiscoverOptions, 'env' | 'lenient'>): Promise<CheckedConfig> {
  return defaultInstance().check(cfg, options);
}

/**
 * The engine: parse -> look up -> validate -> run -> normalise targets.
 * Errors keep go-discover's texts: `discover: no provider`, `discover: unknown provider X`,
 * `discover: <parse error>`.
 */
import { formatHostPort, targetProblem } from './address.js';
import { configSecrets, knownKeys, secretKeys, type ValidatedArgs, validateArgs } from './args.js';
import { DEFAULT_TIMEOUT_MS, systemClock } from './clock.js';
import { formatConfig, parseConfig } from './config/index.js';
import { toMs } from './duration.js';
import {
  AbortError,
  AutojoinError,
  ConfigParseError,
  HttpStatusError,
  MalformedResponseError,
  MissingPackageError,
  NetworkError,
  NoProviderError,
  ProviderError,
  ProxyError,
  ProxySettingError,
  TimeoutError,
  UnknownProviderError,
  UsageError,
} from './errors.js';
import type { HttpClient } from './http/types.js';
import type { NodeHttpClient } from './http/client.js';
import type { ProxyFailureInfo } from './http/tunnel.js';
import { type Logger, silentLogger } from './log.js';
import type { ProviderEntry } from './builtins.js';
import type { SimModule } from './sim/types.js';
import type { AnyProvider, ProviderContext, Target } from './provider.js';
import { ProviderRegistry } from './registry.js';
import { isSecretName, REDACTED, scrubError, secretScrubber } from './redact.js';
import { printable } from './text.js';

export { DEFAULT_TIMEOUT_MS } from './clock.js';

/**
 * The longest config string accepted (64 KiB). A real one is a few hundred characters; the bound
 * keeps parsing and error reporting of a pasted file or a runaway template well inside any timeout.
 */
export const MAX_CONFIG_LENGTH = 65_536;

export interface DiscoverOptions {
  /**
   * Bound on the whole call (loading the provider included) and on every request its provider
   * sends without a timeout of its own, milliseconds or a Go duration (`'30s'`); 0 disables it
   * (the call then lasts until `signal` aborts it). @default 60000
   */
  timeout?: number | string;
  /**
   * Epoch ms at which the call ends, instead of `timeout` counted from the call: the CLI counts
   * from the start of its process, so start-up and loading are inside `--timeout`. With
   * `timeout: 0` no timer is armed: the caller's `signal` enforces the deadline (the join loop
   * does so on its own clock), and retries only learn not to wait past it.
   */
  deadline?: number;
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
  /** The config's secret values (secret keys, URL user-info), for scrubbing free text. */
  secrets: string[];
}

export interface DiscoverConstructorOptions {
  /** Extra providers, registered after the built-ins. */
  providers?: AnyProvider[];
  /** Plugin modules or paths, loaded on first use. */
  plugins?: string[];
  /** Include the built-in providers (`true`), none (`false`), or this composition instead. @default true */
  builtins?: boolean | readonly ProviderEntry[];
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

  /** The simulator modules of the built-ins and the plugins, for `discover sim`. */
  async simModules(): Promise<SimModule[]> {
    await this.#ready();
    return this.registry.simModules();
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
    if (cfg.length > MAX_CONFIG_LENGTH) {
      throw new ConfigParseError(
        `discover: the config string is ${cfg.length} characters long; at most ${MAX_CONFIG_LENGTH} are accepted`,
        '',
        MAX_CONFIG_LENGTH,
      );
    }
    let config: Map<string, string>;
    try {
      config = parseConfig(cfg);
    } catch (error) {
      if (error instanceof ConfigParseError) {
        // Where the named word stands; a quoted word (no keyAt) is not the rest of an unquoted value.
        const at = error.keyAt ?? -1;
        // A duplicate written as a key (`secret_access_key=S1 secret_access_key=S2`) is a key name,
        // not the rest of a value: go-discover's text stands.
        const writtenAsKey = error.message === `${error.key}: duplicate key` && /^\s*=/.test(cfg.slice(at + error.key.length, at + error.key.length + 256));
        const masked = !writtenAsKey && secretFragment(cfg, error.key, await this.#secretKeyNames(), at);
        const key = masked ? REDACTED : error.key;
        const message = masked ? `${key}${error.message.slice(error.key.length)}` : error.message;
        throw new ConfigParseError(`discover: ${message}`, key, error.offset, { keyAt: error.keyAt, after: fragmentOwner(cfg, error.key, at) });
      }
      throw error;
    }
    const name = config.get('provider') ?? '';
    if (name === '') throw new NoProviderError();
    const provider = await this.provider(name);
    const validated = validateArgs(provider, config, options);
    const redacted = formatConfig(config, { redact: true, secretKeys: secretKeys(provider), knownKeys: knownKeys(provider) });
    return { provider, config, redacted, validated, secrets: configSecrets(provider, config, validated.args) };
  }

  /** Every registered provider's secret keys: a config that does not parse names no provider yet. */
  async #secretKeyNames(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const provider of await this.registry.loadAll()) for (const key of secretKeys(provider)) names.add(key);
    return names;
  }

  /**
   * Discovers targets. Duplicates (same address and port) are dropped, first kept, order kept.
   * One deadline and one timer bound the whole call: loading the provider, its API calls and
   * their retries; a provider that ignores its signal is cut off all the same.
   */
  async discover(cfg: string, options: DiscoverOptions = {}): Promise<Target[]> {
    const baseLog = options.logger ?? silentLogger;
    // Named from the start: the deadline may pass while the provider is still loading.
    const named = typeof cfg === 'string' ? /(?:^|\s)provider=([\w.-]+)/.exec(cfg.slice(0, 4096))?.[1] : undefined;
    let secrets: readonly string[] = [];
    try {
      return await withDeadline(options, named === undefined ? 'discover' : `discover-${named}`, async (signal, deadline, label) => {
        const checked = await this.check(cfg, options);
        secrets = checked.secrets;
        label(`discover-${checked.provider.name}`);
        const log = scrubbingLogger(baseLog, checked.secrets);
        for (const warning of checked.validated.warnings) log.warn(warning);
        log.debug(`discover: Using provider "${checked.provider.name}"`);
        const targets = await runProvider(checked, options, log, signal, deadline);
        return dedupe(validTargets(targets, checked.provider.name, log));
      });
    } catch (error) {
      // A provider or SDK message may quote a secret value (an echoed endpoint, a token): masked here.
      throw scrubError(error, secrets);
    }
  }

  /** go-discover's `Addrs`: `ip`, `host:port`, `[v6]:port` strings. */
  async addrs(cfg: string, options: DiscoverOptions = {}): Promise<string[]> {
    return (await this.discover(cfg, options)).map(targetAddress);
  }
}

/**
 * Runs `work` under the call's one deadline (`deadline`, else now + `timeout`) and the caller's
 * signal: the signal handed to `work` aborts with a TimeoutError or AbortError, and the call
 * rejects with that reason at once, whatever `work` does with it.
 */
async function withDeadline<T>(
  options: DiscoverOptions,
  initialLabel: string,
  work: (signal: AbortSignal, deadline: number | undefined, label: (what: string) => void) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(options.timeout, 'timeout');
  const deadline = options.deadline ?? (timeoutMs > 0 ? Date.now() + timeoutMs : undefined);
  let what = initialLabel;
  const controller = new AbortController();
  let timer: unknown;
  let rejectEarly: (error: Error) => void = () => {};
  const early = new Promise<never>((_, reject) => {
    rejectEarly = reject;
  });
  // Handled from the start: a timeout or abort may fire before the race below is set up.
  early.catch(() => {});
  const stop = (error: Error) => {
    controller.abort(error);
    rejectEarly(error);
  };
  const onAbort = () => stop(new AbortError(what, { cause: options.signal?.reason }));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (deadline !== undefined && timeoutMs > 0) {
    const limitMs = options.deadline !== undefined ? Math.max(0, Math.round(deadline - Date.now())) : timeoutMs;
    const shownMs = options.deadline !== undefined && options.timeout !== undefined ? timeoutMs : limitMs;
    // Already past (a slow start-up used it up): fail now, before any work sends a request.
    if (limitMs <= 0) stop(new TimeoutError(what, shownMs));
    else timer = systemClock.setTimeout(() => stop(new TimeoutError(what, shownMs)), limitMs);
  }
  try {
    // Already aborted or timed out: no work starts.
    if (controller.signal.aborted) throw controller.signal.reason;
    // The race guarantees the call never outlives its deadline, even if a provider ignores the signal.
    return await Promise.race([
      controller.signal.aborted
        ? early
        : work(controller.signal, deadline, (label) => {
            what = label;
          }),
      early,
    ]);
  } catch (error) {
    // Whatever the provider threw while being aborted, the caller learns why: timeout or abort.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    systemClock.clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function runProvider(
  checked: CheckedConfig,
  options: DiscoverOptions,
  log: Logger,
  signal: AbortSignal,
  deadline: number | undefined,
): Promise<Target[]> {
  const env = options.env ?? process.env;
  const { createHttpClient, proxyFailureOf } = await import('./http/index.js');
  const own = options.http === undefined ? createHttpClient({ env, userAgent: options.userAgent }) : undefined;
  const http = options.http ?? (own as HttpClient);
  // A client made for this call dies with it: when the deadline or the caller ends the call, its
  // sockets (an SDK's request to a hung server among them) are closed at once, not 60-75 s later.
  const closeOwn = () => own?.destroy();
  const failuresBefore = (http as Partial<NodeHttpClient>).proxyFailures?.().count;
  const settingErrorsBefore = (http as Partial<NodeHttpClient>).proxySettingErrors?.().count ?? 0;
  signal.addEventListener('abort', closeOwn, { once: true });
  const ctx: ProviderContext = {
    http: boundByCall(http, signal),
    log,
    signal,
    deadline,
    userAgent: http.userAgent,
    env,
    maxAttempts: options.maxAttempts,
  };
  try {
    return checkTargets(checked.provider.name, await checked.provider.discover(checked.validated.args as never, ctx));
  } catch (error) {
    // Aborted: withDeadline reports why. Otherwise: a missing SDK, a proxy's refusal, or the provider's name.
    if (signal.aborted) throw error;
    throw (
      proxySetting(checked.provider.name, error, http, settingErrorsBefore) ??
      missingPackage(checked.provider, error) ??
      proxyRefusal(checked.provider.name, error, http, failuresBefore, proxyFailureOf) ??
      named(checked.provider.name, error)
    );
  } finally {
    signal.removeEventListener('abort', closeOwn);
    closeOwn();
  }
}

/**
 * The client as the provider sees it: the call's deadline, not the client's own 60 s default, bounds
 * a request made without its own `timeoutMs`. Such a request arms no timer of its own (`timeoutMs:
 * 0`) and goes under the call's signal (with the provider's own, a page's, when it passes one),
 * which the call's one timer aborts at the deadline: it lasts exactly as long as the call may
 * (`timeout: 0`: until the caller aborts), and the caller learns the call's TimeoutError naming the
 * provider. A request with its own `timeoutMs` is sent as asked: a metadata lookup's short bound,
 * or vsphere's logout, which must run after the call's signal ended.
 */
function boundByCall(http: HttpClient, callSignal: AbortSignal): HttpClient {
  return {
    request: (url, options = {}) => {
      if (options.timeoutMs !== undefined) return http.request(url, options);
      const own = options.signal;
      const signal = own === undefined || own === callSignal ? callSignal : AbortSignal.any([callSignal, own]);
      return http.request(url, { ...options, timeoutMs: 0, signal });
    },
    get httpAgent() {
      return http.httpAgent;
    },
    get httpsAgent() {
      return http.httpsAgent;
    },
    proxyFor: (url) => http.proxyFor(url),
    get userAgent() {
      return http.userAgent;
    },
    get loopbackOnly() {
      return http.loopbackOnly;
    },
  };
}

/**
 * A proxy variable no agent can use, however deep the provider's SDK wrapped it: the setting's
 * own config error (exit 2), with the provider's name, instead of the SDK's network failure.
 */
function proxySetting(name: string, error: unknown, http: HttpClient, before: number): ProxySettingError | undefined {
  let found: ProxySettingError | undefined;
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8 && !found; cause = cause.cause, depth++) {
    if (cause instanceof ProxySettingError) found = cause;
  }
  // The SDK dropped the cause (MSAL, node-fetch keep only a message): the client's record of this call.
  const record = (http as Partial<NodeHttpClient>).proxySettingErrors?.();
  if (!found && record && record.count > before) found = record.last;
  if (found && !found.message.startsWith('discover-')) found.message = `discover-${name}: ${found.message}`;
  return found;
}

/**
 * A proxy's failure, however the provider's SDK wrapped it: the tunnelling agents' account of it
 * in the error's cause chain, or, when the SDK dropped that (MSAL reports a refused tunnel as
 * `endpoints_resolution_error`), the client's record of a proxy failure during this call, as
 * long as the call failed without any answer from the cloud. One ProxyError naming the proxy,
 * without credentials, and its answer.
 */
function proxyRefusal(
  name: string,
  error: unknown,
  http: HttpClient,
  failuresBefore: number | undefined,
  proxyFailureOf: (error: unknown) => ProxyFailureInfo | undefined,
): ProxyError | undefined {
  let info = proxyFailureOf(error);
  const record = (http as Partial<NodeHttpClient>).proxyFailures?.();
  const answered = error instanceof ProviderError ? error.status !== undefined : error instanceof HttpStatusError;
  if (!info && record && failuresBefore !== undefined && record.count > failuresBefore && !answered) info = record.last;
  if (!info) return undefined;
  return new ProxyError(name, info.proxy, info.answer, { cause: error, failed: info.failed });
}

/**
 * An error that does not say which provider it came from (a plugin letting a `ctx.http` error or a
 * TypeError through) gets the `discover-<name>: ` prefix every provider error has.
 */
function named(name: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.message.startsWith(`discover-${name}`) || error.message.startsWith('discover-')) return error;
  // What ctx.http throws keeps its class and code, and gets the name; anything foreign becomes a ProviderError.
  if (error instanceof HttpStatusError || error instanceof NetworkError || error instanceof MalformedResponseError || error instanceof TimeoutError) {
    error.message = `discover-${name}: ${error.message}`;
    return error;
  }
  if (error instanceof AutojoinError) return error;
  return new ProviderError(name, error.message, { cause: error });
}

/**
 * The shape of what a provider returned: an array of objects with a string `address` and an
 * optional numeric port. A plugin's malformed shape is an error naming it, never printed as is;
 * a well-shaped target with a bad value is dropped with a warning ({@link validTargets}).
 */
function checkTargets(name: string, targets: unknown): Target[] {
  const bad = (why: string) => new ProviderError(name, `returned a malformed target: ${why}`, { operation: 'discover' });
  if (!Array.isArray(targets)) throw bad(`expected an array of { address, port? }, got ${typeof targets}`);
  // Shown only on the error path: stringifying each of 10,000 good targets cost tens of ms.
  const shown = (target: unknown) => JSON.stringify(target)?.slice(0, 80) ?? String(target);
  targets.forEach((target: unknown, i) => {
    if (target === null || typeof target !== 'object') throw bad(`#${i} ${shown(target)} is not an object { address, port? }`);
    const { port } = target as { port?: unknown };
    if (port !== undefined && typeof port !== 'number') throw bad(`#${i} ${printable(shown(target), 100)}: port is not a number`);
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
 * secret, so the engine prints `***` instead (a documented deviation). `at` is where the word
 * stands in `cfg` (`ConfigParseError.keyAt`); without it, the word's last occurrence.
 */
export function secretFragment(cfg: string, key: string, secretKeyNames: ReadonlySet<string> = new Set(), at = cfg.lastIndexOf(key)): boolean {
  const owner = fragmentOwner(cfg, key, at);
  return owner !== undefined && (secretKeyNames.has(owner) || isSecretName(owner));
}

/**
 * The key whose unquoted value the word `key`, at index `at` of `cfg`, follows (`tag_value` for
 * `server` in `tag_value=nomad server`): the word may be the rest of that value. Undefined when
 * the word does not follow a value. Without `at`, the word's last occurrence.
 */
export function fragmentOwner(cfg: string, key: string, at = cfg.lastIndexOf(key)): string | undefined {
  if (key === '' || at < 0) return undefined;
  // Read backwards from the fragment, in one pass: whitespace, a value, `=` (spaces around it
  // allowed), then the key that owns the value. (A regex anchored at the end, as before, was
  // quadratic: 63 s for a 1 MB config.)
  let i = at - 1;
  const space = (c: string | undefined) => c !== undefined && /\s/.test(c);
  if (!space(cfg[i])) return undefined;
  while (i >= 0 && space(cfg[i])) i--;
  const valueEnd = i;
  while (i >= 0 && !space(cfg[i])) i--;
  // The value is the `\S+` before the gap; an `=` inside it splits `key=value` written tightly.
  const value = cfg.slice(i + 1, valueEnd + 1);
  const eq = value.indexOf('=');
  if (eq > 0) return value.slice(0, eq);
  if (eq === 0 && value.length > 1) {
    // `key =value`: the key is the word before the spaces.
    while (i >= 0 && space(cfg[i])) i--;
    const keyEnd = i;
    while (i >= 0 && !space(cfg[i]) && cfg[i] !== '=') i--;
    return cfg.slice(i + 1, keyEnd + 1) || undefined;
  }
  // `key = value` or `key= value`: the value stands alone; `=` and the key come before it.
  while (i >= 0 && space(cfg[i])) i--;
  if (cfg[i] !== '=') return undefined;
  i--;
  while (i >= 0 && space(cfg[i])) i--;
  const keyEnd = i;
  while (i >= 0 && !space(cfg[i]) && cfg[i] !== '=') i--;
  return cfg.slice(i + 1, keyEnd + 1) || undefined;
}

/** Every line a provider logs goes out with the config's secret values masked. */
function scrubbingLogger(log: Logger, secrets: readonly string[]): Logger {
  const clean = secretScrubber(secrets);
  const scrub = (write: (message: string) => void) => (message: string) => write(clean(message));
  return { debug: scrub(log.debug.bind(log)), info: scrub(log.info.bind(log)), warn: scrub(log.warn.bind(log)), error: scrub(log.error.bind(log)) };
}

/** The go-discover string form of a target. */
export function targetAddress(target: Target): string {
  return formatHostPort(target.address, target.port);
}

/**
 * Every target a provider returns is checked here, in one place, before it reaches a caller: an
 * IP or a DNS name, a port in 1-65535. A bad one is dropped with a warning naming the provider
 * and the value (printable, bounded), so `$(discover addrs ...)` never splits a word in two.
 */
function validTargets(targets: readonly Target[], provider: string, log: Logger): Target[] {
  return targets.filter((target) => {
    const problem = targetProblem(target?.address, target?.port);
    if (problem === undefined) return true;
    log.warn(`discover-${provider}: dropped target ${printable(JSON.stringify(target?.address) ?? String(target?.address), 100)}: ${problem}`);
    return false;
  });
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

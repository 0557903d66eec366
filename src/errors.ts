import { printableLine } from './text.js';
import { didYouMean } from './suggest.js';

/**
 * Every error autojoin throws on purpose is an {@link AutojoinError} with a stable `code`.
 * Messages never hold a secret: credentials are redacted before an error is built, and
 * the original error, when there is one, is kept in `cause` (which is never printed by the CLI).
 */
/** The brand every autojoin error carries: the names of its classes, most specific first. */
const KINDS = Symbol.for('autojoin.error.kinds');

export class AutojoinError extends Error {
  /**
   * Whether errors of this class are config errors: bad input that waiting cannot fix (the CLI
   * exits 2 for them, 1 for the rest). The one list is the classes that set it; see docs/errors.md.
   */
  static readonly configError: boolean = false;
  /** Stable machine-readable code, e.g. `ERR_CONFIG_PARSE`. */
  readonly code: string;
  /** This error's class says it is a config error (exit 2 in the CLI). */
  readonly configError: boolean;
  declare readonly [KINDS]: readonly string[];

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    this.configError = (new.target as typeof AutojoinError).configError;
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) kinds.push((c as { name: string }).name);
    Object.defineProperty(this, KINDS, { value: kinds });
  }

  /**
   * `instanceof` across copies of autojoin: a plugin that bundles (or installs) its own copy throws
   * errors of its own classes; they still match these by brand (`Symbol.for`, shared by every copy).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof (a subclass too)
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const kinds = (value as { [KINDS]?: unknown } | null)?.[KINDS];
    // biome-ignore lint/complexity/noThisInStatic: as above
    return Array.isArray(kinds) && kinds.includes(this.name);
  }
}

/** Whether `value` is an autojoin error, from this copy of autojoin or another. */
export function isAutojoinError(value: unknown): value is AutojoinError {
  return value instanceof AutojoinError;
}

/** True for a config error: bad input that waiting cannot fix (exit 2 in the CLI). */
export function isConfigError(error: unknown): boolean {
  return error instanceof AutojoinError && error.configError;
}

/** The config string could not be parsed. `message` is go-discover's text to the letter. */
export class ConfigParseError extends AutojoinError {
  static override readonly configError = true;
  /** The key the error names (go-discover names the previous key; `''` when there is none). */
  readonly key: string;
  /** Offset in code points into the trimmed input where the parser stopped. */
  readonly offset: number;
  /**
   * Where the word `key` names starts in the string given to the parser, in UTF-16 units (a
   * `String` index); undefined when `key` is `''` or was quoted.
   */
  readonly keyAt?: number;
  /**
   * Set by the engine when the word the error names follows an unquoted value: that value's key
   * (`tag_value` in `tag_value=nomad server`), so a caller can say where the quotes go. A key
   * name only, never a value.
   */
  readonly after?: string;

  constructor(message: string, key: string, offset: number, details: { keyAt?: number; after?: string } = {}) {
    super('ERR_CONFIG_PARSE', message);
    this.key = key;
    this.offset = offset;
    if (details.keyAt !== undefined) this.keyAt = details.keyAt;
    if (details.after !== undefined) this.after = details.after;
  }
}

/** One problem found while validating a provider's arguments. */
export interface ArgProblem {
  /** The key at fault. */
  key: string;
  /** What is wrong, in a sentence that names the key and the value. */
  message: string;
}

/** A provider's arguments failed validation. Lists every problem at once. */
export class ProviderArgsError extends AutojoinError {
  static override readonly configError = true;
  readonly provider: string;
  readonly problems: readonly ArgProblem[];

  constructor(provider: string, problems: readonly ArgProblem[]) {
    const lines = problems.map((p) => `  - ${p.message}`).join('\n');
    super('ERR_PROVIDER_ARGS', `discover-${provider}: invalid arguments:\n${lines}`);
    this.provider = provider;
    this.problems = problems;
  }
}

/** No `provider=` in the config string (`discover: no provider`). */
export class NoProviderError extends AutojoinError {
  static override readonly configError = true;
  constructor() {
    super('ERR_NO_PROVIDER', 'discover: no provider');
  }
}

/** `provider=` names no registered provider. */
export class UnknownProviderError extends AutojoinError {
  static override readonly configError = true;
  readonly provider: string;
  readonly known: readonly string[];

  constructor(provider: string, known: readonly string[]) {
    super('ERR_UNKNOWN_PROVIDER', `discover: unknown provider ${provider}${didYouMean(provider, known)} (known: ${known.join(', ')})`);
    this.provider = provider;
    this.known = known;
  }
}

/** A provider could not be loaded or registered (plugin errors, duplicate names). */
export class ProviderRegistryError extends AutojoinError {
  static override readonly configError = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PROVIDER_REGISTRY', message, options);
  }
}

/** Details of a failing cloud API call. */
export interface ProviderErrorDetails {
  /** The API operation, e.g. `DescribeInstances`. */
  operation: string;
  /** HTTP status, when the API answered. */
  status?: number;
  /** The cloud's own error code, e.g. `RequestLimitExceeded`. */
  cloudCode?: string;
  /** True when the cloud said to slow down (429, RequestLimitExceeded, rateLimitExceeded...). */
  throttled?: boolean;
  /** How long the cloud asked us to wait, from `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A cloud API call failed. Names the provider, the operation and the cause; never a secret.
 * @example
 *   discover-aws: DescribeInstances failed: 503 RequestLimitExceeded: Request limit exceeded.
 */
export class ProviderError extends AutojoinError {
  readonly provider: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly cloudCode: string | undefined;
  readonly throttled: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(provider: string, reason: string, details: Partial<ProviderErrorDetails> = {}) {
    const head = [details.status, details.cloudCode].filter((x) => x !== undefined).join(' ');
    // A reason that already names the provider (a plugin passing on an error's message) is not prefixed again.
    const prefix = `discover-${provider}: `;
    const own = reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
    const what = details.operation ? `${details.operation} failed: ` : '';
    // The reason often quotes a server: terminal escapes and NUL bytes are made visible, the length bounded.
    super(details.throttled ? 'ERR_PROVIDER_THROTTLED' : 'ERR_PROVIDER', `${prefix}${what}${head ? `${head}: ` : ''}${printableLine(own)}`, {
      cause: details.cause,
    });
    this.provider = provider;
    this.operation = details.operation ?? '';
    this.status = details.status;
    this.cloudCode = details.cloudCode;
    this.throttled = details.throttled ?? false;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** An HTTP response with a status the caller did not accept. `url` carries no credentials. */
export class HttpStatusError extends AutojoinError {
  readonly status: number;
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;

  constructor(status: number, url: string, body: string, headers: Record<string, string | string[] | undefined> = {}) {
    super('ERR_HTTP_STATUS', `HTTP ${status} from ${url}`);
    this.status = status;
    this.url = url;
    this.body = body;
    this.headers = headers;
  }
}

/** The connection failed (refused, reset, DNS, proxy unreachable, TLS). */
export class NetworkError extends AutojoinError {
  readonly url: string;

  constructor(message: string, url: string, options?: { cause?: unknown }) {
    super('ERR_NETWORK', message, options);
    this.url = url;
  }
}

/**
 * The proxy between us and a cloud API refused or failed the tunnel. The same error for every
 * provider, whatever its SDK made of the proxy's answer. `proxy` carries no credentials.
 * @example discover-aws: proxy http://127.0.0.1:3128/ refused the tunnel: HTTP 407 (check the proxy credentials)
 */
export class ProxyError extends AutojoinError {
  readonly provider: string;
  /** The proxy URL, credentials removed. */
  readonly proxy: string;
  /** What the proxy answered (`HTTP 407`), or how talking to it failed. */
  readonly answer: string;

  /**
   * @param options.failed what went wrong, before the answer. @default 'refused the tunnel'
   * @example new ProxyError('aws', 'https://127.0.0.1:3128/', 'it answers in plain HTTP; ...', { failed: 'did not speak TLS' })
   */
  constructor(provider: string, proxy: string, answer: string, options?: { cause?: unknown; failed?: string }) {
    super('ERR_PROXY', `discover-${provider}: proxy ${proxy} ${options?.failed ?? 'refused the tunnel'}: ${answer}`, { cause: options?.cause });
    this.provider = provider;
    this.proxy = proxy;
    this.answer = answer;
  }
}

/**
 * A proxy variable (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, or a kubeconfig `proxy-url`) that
 * no agent can use: not a URL, or a scheme other than http, https and socks. A mistake in the
 * settings that waiting cannot fix: not retried, exit 2. The message carries no credentials.
 * @example discover-consul: unsupported proxy quic://127.0.0.1:1080 (from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY): only http://, ... are supported
 */
export class ProxySettingError extends AutojoinError {
  static override readonly configError = true;
  /** The request's URL, credentials removed. */
  readonly url: string;

  constructor(message: string, url: string) {
    super('ERR_PROXY_SETTING', message);
    this.url = url;
  }
}

/** An operation took longer than its timeout. */
export class TimeoutError extends AutojoinError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, options?: { cause?: unknown }) {
    super('ERR_TIMEOUT', `${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller aborted through its `AbortSignal`. */
export class AbortError extends AutojoinError {
  constructor(what = 'operation', options?: { cause?: unknown }) {
    super('ERR_ABORTED', `${what} was aborted`, options);
  }
}

/** A request to a non-loopback host was refused because `AUTOJOIN_LOOPBACK_ONLY` is set (tests). */
export class LoopbackOnlyError extends AutojoinError {
  constructor(host: string) {
    super('ERR_LOOPBACK_ONLY', `refused to connect to ${host}: AUTOJOIN_LOOPBACK_ONLY is set`);
  }
}

/**
 * A provider needs an npm package that is not installed (the cloud SDKs are optional peer
 * dependencies, installed per cloud). The message names what to install.
 */
export class MissingPackageError extends AutojoinError {
  static override readonly configError = true;
  readonly provider: string;
  /** The package that failed to load. */
  readonly packageName: string;

  constructor(provider: string, packageName: string, install: readonly string[], options?: { cause?: unknown }) {
    const all = install.includes(packageName) ? install : [packageName, ...install];
    super(
      'ERR_MISSING_PACKAGE',
      `discover-${provider}: the package ${packageName} is not installed; install this provider's SDK: npm install ${all.join(' ')}`,
      options,
    );
    this.provider = provider;
    this.packageName = packageName;
  }
}

/** A bad value given to the library or CLI outside a config string (a flag, an option). */
export class UsageError extends AutojoinError {
  static override readonly configError = true;
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/** A response arrived whole but could not be decoded (e.g. malformed JSON). `url` carries no credentials. */
export class MalformedResponseError extends AutojoinError {
  readonly url: string;

  constructor(message: string, url: string, options?: { cause?: unknown }) {
    super('ERR_MALFORMED_RESPONSE', message, options);
    this.url = url;
  }
}

/**
 * A response body passed its size limit (`maxResponseBytes`); the connection was closed there,
 * so an endless body never fills memory. `url` carries no credentials.
 */
export class ResponseTooLargeError extends AutojoinError {
  readonly url: string;
  readonly limitBytes: number;

  constructor(url: string, limitBytes: number) {
    super('ERR_RESPONSE_TOO_LARGE', `response from ${url} is larger than ${limitBytes} bytes; refused`);
    this.url = url;
    this.limitBytes = limitBytes;
  }
}

/**
 * The one HTTP client: keep-alive dispatching agents, per-request proxy choice, a total
 * per-request timeout, `AbortSignal`, the loopback guard, and typed, credential-free errors.
 */
import { readFileSync } from 'node:fs';
import { clampTimerMs, DEFAULT_TIMEOUT_MS } from '../clock.js';
import http from 'node:http';
import https from 'node:https';
import {
  AbortError,
  AutojoinError,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  type ProxySettingError,
  ResponseTooLargeError,
  TimeoutError,
} from '../errors.js';
import {
  assertLoopback,
  assertUsableProxy,
  createAgents,
  DEFAULT_MAX_RESPONSE_BYTES,
  type Env,
  PROXY_OVERRIDE,
  proxyForUrl,
  proxyVariables,
  RESPONSE_LIMIT,
} from './proxy.js';
import { type ProxyFailureInfo, proxyFailureOf } from './tunnel.js';
import { redactUrl, scrubSecrets, urlSecrets } from './redact.js';
import type { HttpClient, HttpRequestOptions, HttpResponse } from './types.js';

/** Options for {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Where HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY are read from, per request. @default process.env */
  env?: Env;
  /** The caller's own product token, appended after `autojoin/<version>`. */
  userAgent?: string;
  /**
   * Refuse any host (and proxy) that is not 127.0.0.0/8, ::1 or `localhost`, before connecting.
   * @default true when `AUTOJOIN_LOOPBACK_ONLY=1` in `env` or in `process.env`
   */
  loopbackOnly?: boolean;
  /**
   * Extra CA certificates to trust for https targets, on top of Node's store. The usual way is
   * `NODE_EXTRA_CA_CERTS`; this is for tests and embedders. Verification is never switched off.
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Most sockets per host and agent. @default Infinity (Node's default) */
  maxSockets?: number;
  /**
   * Most bytes one response may bring, through `request` and through the agents handed to SDKs;
   * raise it for an API whose real pages are larger. @default 32 MiB (DEFAULT_MAX_RESPONSE_BYTES)
   */
  maxResponseBytes?: number;
}

/** The client {@link createHttpClient} returns: the shared interface plus a way to close pooled sockets. */
export interface NodeHttpClient extends HttpClient {
  /** Whether the loopback guard is on for this client. */
  readonly loopbackOnly: boolean;
  /** The bound on one response, in bytes. */
  readonly maxResponseBytes: number;
  /** Closes every keep-alive socket (direct and tunnelled). Requests after this still work. */
  destroy(): void;
  /**
   * The proxy failures this client's agents have seen (a refused tunnel, a proxy that does not
   * speak TLS, a SOCKS refusal): how many, and the last. For callers whose SDK drops the cause
   * of a failed request (MSAL does): a count that grew during a call says what the proxy answered.
   */
  proxyFailures(): { count: number; last: ProxyFailureInfo | undefined };
  /**
   * The proxy settings no agent could use (`ProxySettingError`), how many and the last: for
   * callers whose SDK reports a failed request without its cause (MSAL, node-fetch).
   */
  proxySettingErrors(): { count: number; last: ProxySettingError | undefined };
}

/** Default per-request timeout (connect, headers and the whole body): the one default of src/clock.ts, 60 s. A provider's `ctx.http` uses the call's deadline instead. */
export { DEFAULT_TIMEOUT_MS };

let cachedVersion: string | undefined;

/** autojoin's version, read from its package.json at runtime (works from `src/` under tsx and from `dist/src/`). */
export function autojoinVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'autojoin' && typeof pkg.version === 'string') {
        cachedVersion = pkg.version;
        return cachedVersion;
      }
    } catch {
      // Not at this depth; try the next.
    }
  }
  cachedVersion = '0.0.0';
  return cachedVersion;
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** Whether the loopback guard is on: `AUTOJOIN_LOOPBACK_ONLY=1` (or true, yes, on) in `env` or in `process.env` (tests). */
export function loopbackOnlyFrom(env: Record<string, string | undefined>): boolean {
  return envFlag(env.AUTOJOIN_LOOPBACK_ONLY) || envFlag(process.env.AUTOJOIN_LOOPBACK_ONLY);
}

/**
 * Creates the HTTP client every provider uses, directly or through its agents.
 * @example
 *   const http = createHttpClient({ userAgent: 'my-tool/1.0' });
 *   const res = await http.request('http://127.0.0.1:8080/v1/nodes', { timeoutMs: 5000 });
 *   const nodes = res.json<string[]>();
 */
export function createHttpClient(options: HttpClientOptions = {}): NodeHttpClient {
  const env = options.env ?? process.env;
  // The process-wide switch cannot be undone by a custom env: it is what keeps tests on loopback.
  const loopbackOnly = options.loopbackOnly ?? loopbackOnlyFrom(env);
  const agentOptions: https.AgentOptions = { keepAlive: true };
  if (options.ca !== undefined) agentOptions.ca = options.ca as https.AgentOptions['ca'];
  if (options.maxSockets !== undefined) agentOptions.maxSockets = options.maxSockets;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let failures = 0;
  let lastFailure: ProxyFailureInfo | undefined;
  const onProxyFailure = (failure: Error) => {
    failures += 1;
    lastFailure = proxyFailureOf(failure);
  };
  let settingErrors = 0;
  let lastSettingError: ProxySettingError | undefined;
  const onProxySetting = (error: ProxySettingError) => {
    settingErrors += 1;
    lastSettingError = error;
  };
  // Read once for the client's life (a `discover()` call, a `retryJoin` run): see proxyVariables.
  const proxyEnv = proxyVariables(env);
  const agents = createAgents({ env: proxyEnv, loopbackOnly, agentOptions, maxResponseBytes, onProxyFailure, onProxySetting });
  const userAgent = `autojoin/${autojoinVersion()}${options.userAgent ? ` ${options.userAgent}` : ''}`;

  const client: NodeHttpClient = {
    httpAgent: agents.httpAgent,
    httpsAgent: agents.httpsAgent,
    userAgent,
    loopbackOnly,
    maxResponseBytes,
    proxyFor: (url) => proxyForUrl(url, proxyEnv),
    request: (url, requestOptions) => send(client, proxyEnv, url, requestOptions ?? {}),
    destroy: () => agents.destroy(),
    proxyFailures: () => ({ count: failures, last: lastFailure }),
    proxySettingErrors: () => ({ count: settingErrors, last: lastSettingError }),
  };
  return client;
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function makeResponse(status: number, headers: http.IncomingHttpHeaders, body: Buffer, url: string): HttpResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => {
      try {
        return JSON.parse(body.toString('utf8')) as T;
      } catch (err) {
        throw new MalformedResponseError(`malformed JSON in response from ${url}: ${(err as Error).message}`, url, { cause: err });
      }
    },
  };
}

/** How long a URL may be in a network error's message, so that the cause after it is never cut off. */
const SHOWN_URL_MAX = 200;

/**
 * The URL as a network error's message shows it: whole when short, else without its query (a
 * SoftLayer object filter or a signed query runs to hundreds of characters, and the provider's
 * error line is bounded: the cause, written after the URL, was cut off). The error's `url` keeps
 * the whole credential-free URL.
 */
function shownUrl(url: URL, safeUrl: string): string {
  if (safeUrl.length <= SHOWN_URL_MAX) return safeUrl;
  const path = `${url.origin}${url.pathname}`;
  const shown = path.length > SHOWN_URL_MAX ? `${path.slice(0, SHOWN_URL_MAX)}…` : path;
  return url.search ? `${shown}?…` : shown;
}

/** Connection errors whose text is worth a hint. */
function describeNetworkError(err: NodeJS.ErrnoException, proxy: string | undefined, ownCa = false): string {
  const code = err.code ?? '';
  // What the tunnelling agents made of a proxy's answer (a refused CONNECT, no TLS, a SOCKS refusal).
  if (proxy !== undefined && proxyFailureOf(err)) return err.message;
  // An alert is the server refusing us (TLS 1.3 reports a missing client certificate this way).
  if (/_ALERT_/.test(code)) {
    const hint = /CERTIFICATE|UNKNOWN_CA/.test(code) ? ': it wants a client certificate it trusts' : '';
    return `the server refused the TLS handshake (${code})${hint}`;
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    const hint = ownCa ? '' : '; trust a private CA with NODE_EXTRA_CA_CERTS';
    return `TLS verification failed (${code}: ${err.message})${hint}`;
  }
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}

function send(client: NodeHttpClient, env: Env, input: string | URL, options: HttpRequestOptions): Promise<HttpResponse> {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch (err) {
    return Promise.reject(new NetworkError(`invalid URL ${redactUrl(String(input))}`, redactUrl(String(input)), { cause: err }));
  }
  const safeUrl = redactUrl(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new NetworkError(`unsupported protocol ${url.protocol} in ${safeUrl}`, safeUrl));
  }
  const method = (options.method ?? 'GET').toUpperCase();
  const proxy = options.proxy ?? proxyForUrl(url, env);
  const what = `${method} ${shownUrl(url, safeUrl)}${proxy ? ` via proxy ${redactUrl(proxy)}` : ''}`;
  const secrets = [...urlSecrets(proxy), ...urlSecrets(url.href)];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const okStatus = options.okStatus ?? ((status: number) => status >= 200 && status < 300);
  const signal = options.signal;

  // Checked here as well as in the agents so the refusal is synchronous with the call and
  // carries no socket at all; the agents' check covers SDKs that use them directly.
  try {
    if (proxy) assertUsableProxy(proxy, safeUrl);
    if (client.loopbackOnly) assertLoopback(url.hostname, proxy);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(new AbortError(what, { cause: signal.reason }));

  const headers: Record<string, string> = { ...options.headers };
  const callerAgent = headerValue(headers, 'user-agent');
  for (const key of Object.keys(headers)) if (key.toLowerCase() === 'user-agent') delete headers[key];
  headers['user-agent'] = callerAgent ? `${client.userAgent} ${callerAgent}` : client.userAgent;
  if (options.body !== undefined && headerValue(headers, 'content-length') === undefined) {
    headers['content-length'] = String(Buffer.byteLength(options.body));
  }

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    // `keepSocket` is set when the exchange completed (a status error): the socket is healthy
    // and already back in the pool, so it must not be destroyed.
    const finish = (err: Error | undefined, response?: HttpResponse, keepSocket = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        if (!keepSocket) req?.destroy();
        reject(err);
      } else if (response) {
        resolve(response);
      }
    };
    const onAbort = () => finish(new AbortError(what, { cause: signal?.reason }));
    // 0: no timer of its own; the signal (a discovery call's, aborted at its deadline) ends it.
    const timer = timeoutMs === 0 ? undefined : setTimeout(() => finish(new TimeoutError(what, timeoutMs)), clampTimerMs(timeoutMs));
    signal?.addEventListener('abort', onAbort, { once: true });

    const fail = (err: unknown) => {
      if (settled) return;
      if (err instanceof AutojoinError) return finish(err);
      const detail = scrubSecrets(describeNetworkError(err as NodeJS.ErrnoException, proxy, options.tls?.ca !== undefined), secrets);
      finish(new NetworkError(`${what}: ${detail}`, safeUrl, { cause: err }));
    };

    const transport = url.protocol === 'https:' ? https : http;
    try {
      req = transport.request(url, {
        ...(url.protocol === 'https:' ? (options.tls as https.RequestOptions | undefined) : undefined),
        method,
        headers,
        agent: url.protocol === 'https:' ? client.httpsAgent : client.httpAgent,
        ...(options.proxy !== undefined ? { [PROXY_OVERRIDE]: options.proxy } : {}),
      });
    } catch (err) {
      // A header Node rejects (say, with a newline) throws here; it is the caller's mistake,
      // not the network's, so it keeps its own type, and the timer must not outlive it.
      return finish(err as Error);
    }
    if (options.maxResponseBytes !== undefined) (req as { [RESPONSE_LIMIT]?: number })[RESPONSE_LIMIT] = options.maxResponseBytes;
    const limit = options.maxResponseBytes ?? client.maxResponseBytes;
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limit) return fail(new ResponseTooLargeError(safeUrl, limit));
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('connection closed before the full body arrived')));
      res.on('end', () => {
        // `complete` is false when the socket closed before Content-Length (or the last chunk).
        if (!res.complete) return fail(new Error('connection closed before the full body arrived'));
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        if (!okStatus(status)) {
          return finish(new HttpStatusError(status, safeUrl, body.toString('utf8'), res.headers), undefined, true);
        }
        finish(undefined, makeResponse(status, res.headers, body, safeUrl));
      });
      res.on('close', () => {
        if (!res.complete) fail(new Error('connection closed before the full body arrived'));
      });
    });
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

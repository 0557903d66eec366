/**
 * Proxy choice and the dispatching agents every SDK is given.
 *
 * The choice follows proxy-from-env 2.1.0's rules (see docs/proxy.md), with one documented
 * exception: a proxy written without a scheme is http://, as in Go and curl. That library
 * reads only `process.env` (its `getProxyForUrl(url)` takes no env argument), so
 * {@link proxyForUrl} restates its rules over an explicit env; test/proxy.test.ts checks
 * the two agree on a table of cases.
 */
import http from 'node:http';
import https from 'node:https';
import { LoopbackOnlyError, ProxySettingError, ResponseTooLargeError } from '../errors.js';
import { formatHostPort, isLoopbackHost } from '../address.js';
import { redactUrl } from './redact.js';
import { type FailureSink, loadSocks, type ProxyFailure, type ProxyFailureInfo, proxyFailureOf, SOCKS_PROTOCOLS, socksLoaded, tunnelAgent } from './tunnel.js';

/** Environment variables, as in `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { ftp: 21, gopher: 70, http: 80, https: 443, ws: 80, wss: 443 };

/**
 * The proxy variables of `env` (every `*_proxy` name, in any case), copied once. A client reads them
 * for every request, up to six names twice (its own choice, then its agent's), and `process.env`
 * answers each read through a C++ interceptor: at 10,000 requests that was ~0.1 s of CPU. Go reads
 * them once per process too.
 */
export function proxyVariables(env: Env): Env {
  const variables: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) if (/_proxy$/i.test(name)) variables[name] = value;
  return variables;
}

/** proxy-from-env's lookup: lower case wins over upper case, and an empty value counts as unset. */
function envValue(env: Env, name: string): string {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || '';
}

/**
 * True when `NO_PROXY` / `no_proxy` says `hostname` (brackets kept for IPv6) on `port`
 * must be reached directly. Rules, as in proxy-from-env: entries split on commas and
 * whitespace; `*` alone bypasses everything; `name:port` only matches that port; an entry
 * starting with `.` or `*` matches any host ending with the rest; any other entry
 * matches that exact host only (not its subdomains).
 */
export function noProxyMatches(hostname: string, port: number, env: Env): boolean {
  const noProxy = envValue(env, 'no_proxy').toLowerCase();
  if (!noProxy) return false;
  if (noProxy === '*') return true;
  return noProxy.split(/[,\s]/).some((entry) => {
    if (!entry) return false;
    const withPort = entry.match(/^(.+):(\d+)$/);
    let entryHost = withPort?.[1] ?? entry;
    const entryPort = withPort ? Number.parseInt(withPort[2] ?? '', 10) : 0;
    if (entryPort && entryPort !== port) return false;
    if (!/^[.*]/.test(entryHost)) return hostname === entryHost;
    if (entryHost.startsWith('*')) entryHost = entryHost.slice(1);
    return hostname.endsWith(entryHost);
  });
}

/**
 * The proxy URL for a request to `url`, or `undefined` for a direct connection.
 * `<scheme>_proxy` first (so `https_proxy` for https targets), then `all_proxy`; each
 * lower case before upper case; a proxy given without a scheme is `http://`.
 * @param env where to read the variables from. @default process.env
 * @example
 *   proxyForUrl('https://10.0.0.1/', { HTTPS_PROXY: 'http://127.0.0.1:3128' }) === 'http://127.0.0.1:3128'
 */
export function proxyForUrl(url: string | URL, env: Env = process.env): string | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  if (!parsed.host || !parsed.protocol) return undefined;
  const scheme = parsed.protocol.slice(0, -1);
  // `host` minus the port keeps IPv6 brackets, which is what NO_PROXY entries are compared with.
  const hostname = parsed.host.replace(/:\d*$/, '');
  const port = Number.parseInt(parsed.port, 10) || DEFAULT_PORTS[scheme] || 0;
  if (noProxyMatches(hostname, port, env)) return undefined;
  let proxy = envValue(env, `${scheme}_proxy`) || envValue(env, 'all_proxy');
  if (!proxy) return undefined;
  // The one deliberate departure from proxy-from-env, which gives a scheme-less proxy the
  // target's scheme: `HTTPS_PROXY=proxy:3128` would then mean TLS to the proxy, which almost
  // no proxy speaks. Go (hence go-discover) and curl both read it as http://proxy:3128.
  if (!proxy.includes('://')) proxy = `http://${proxy}`;
  return proxy;
}

/**
 * Throws {@link LoopbackOnlyError} unless the target host, and the proxy when there is
 * one, are loopback. Called before any socket is opened.
 */
export function assertLoopback(host: string, proxy: string | undefined): void {
  if (!isLoopbackHost(host)) throw new LoopbackOnlyError(host);
  if (proxy) {
    let proxyHost: string;
    try {
      proxyHost = new URL(proxy).hostname;
    } catch {
      throw new LoopbackOnlyError(redactUrl(proxy));
    }
    if (!isLoopbackHost(proxyHost)) throw new LoopbackOnlyError(`proxy ${redactUrl(proxy)}`);
  }
}

/**
 * Throws {@link ProxySettingError} when `proxy` is not a URL the agents can use: `http://`,
 * `https://` (hpagent) or `socks5://`, `socks5h://`, `socks4://`, `socks4a://`, `socks://`
 * (socks-proxy-agent). Names the variable and the setting, without credentials.
 * @param target the redacted target URL, for the error's `url`
 */
export function assertUsableProxy(proxy: string, target: string): void {
  let parsed: URL;
  try {
    parsed = new URL(proxy);
  } catch {
    throw new ProxySettingError(`invalid proxy URL ${redactUrl(proxy)} (from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY)`, target);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:' && !SOCKS_PROTOCOLS.has(parsed.protocol)) {
    throw new ProxySettingError(
      `unsupported proxy ${redactUrl(proxy)} (from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY): only http://, https://, socks://, socks5://, socks5h://, socks4:// and socks4a:// proxies are supported`,
      target,
    );
  }
}

/** Options shared by the agents {@link createAgents} builds. */
export interface AgentSettings {
  /** Where HTTP_PROXY, HTTPS_PROXY, NO_PROXY... are read from, per request. */
  env: Env;
  /** Refuse non-loopback targets and proxies before connecting. */
  loopbackOnly: boolean;
  /** Passed to every underlying agent. @default { keepAlive: true } */
  agentOptions?: http.AgentOptions;
  /** Most bytes any one response may bring (headers and body), for SDKs too. @default DEFAULT_MAX_RESPONSE_BYTES */
  maxResponseBytes?: number;
  /** Called with every proxy failure (a refused tunnel, a proxy that does not speak TLS). */
  onProxyFailure?: FailureSink;
  /** Called with every {@link ProxySettingError} (a proxy variable no agent can use). */
  onProxySetting?: (error: ProxySettingError) => void;
}

/** In a request's options (`http.request(url, { [PROXY_OVERRIDE]: proxy })`): its own proxy instead of the env's choice. */
export const PROXY_OVERRIDE = Symbol('autojoin.proxy');

/** Set on a ClientRequest (before its socket comes) to give it its own response limit. */
export const RESPONSE_LIMIT = Symbol('autojoin.maxResponseBytes');

/** The default bound on one response: 32 MiB, above any real page of the clouds' list APIs. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Bounds what one response may read from its socket: past `limit` bytes the request is destroyed
 * with ResponseTooLargeError, which the SDK (or the client) sees as the request's error. Counted
 * on the socket (a listener there does not change how the SDK reads the response).
 */
function capResponse(req: http.ClientRequest, target: string, defaultLimit: number): void {
  req.once('socket', (socket) => {
    const limit = (req as { [RESPONSE_LIMIT]?: number })[RESPONSE_LIMIT] ?? defaultLimit;
    const start = socket.bytesRead;
    const onData = () => {
      if (socket.bytesRead - start > limit) {
        socket.off('data', onData);
        req.destroy(new ResponseTooLargeError(redactUrl(target), limit));
      }
    };
    socket.on('data', onData);
    // A kept-alive socket goes back to the pool: the next request counts afresh.
    req.once('close', () => socket.off('data', onData));
  });
}

/** `ClientRequest.onSocket(socket, err)`: how an agent hands a request its socket or its error. */
interface SocketSink {
  onSocket(socket: null, err: Error): void;
}

interface Dispatcher {
  addRequest(req: http.ClientRequest, options: http.RequestOptions & { secureEndpoint?: boolean }): void;
}

/** A keep-alive agent per proxy URL, built on first use. */
class ProxyAgentCache {
  private readonly agents = new Map<string, http.Agent>();

  constructor(
    private readonly scheme: 'http:' | 'https:',
    private readonly agentOptions: http.AgentOptions,
    private readonly report: FailureSink,
  ) {}

  get(proxy: string): http.Agent {
    let agent = this.agents.get(proxy);
    if (!agent) {
      agent = tunnelAgent(this.scheme, proxy, this.agentOptions, this.report);
      this.agents.set(proxy, agent);
    }
    return agent;
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/**
 * Builds an agent of class `Base` (so Node's protocol check passes when an SDK hands it to
 * `http.request` / `https.request`) whose `addRequest` picks, per request, the direct
 * keep-alive agent or the cached proxy agent — the same trick agent-base uses.
 */
function dispatching<A extends http.Agent>(
  Base: new (options: http.AgentOptions) => A,
  scheme: 'http:' | 'https:',
  settings: AgentSettings,
): { agent: A; destroy(): void } {
  const agentOptions = settings.agentOptions ?? { keepAlive: true };
  const direct = new Base(agentOptions);
  const viaProxy = new ProxyAgentCache(scheme, agentOptions, settings.onProxyFailure ?? (() => {}));
  const agent = new Base(agentOptions);
  (agent as unknown as Dispatcher).addRequest = (req, options) => {
    const host = String(options.hostname ?? options.host ?? 'localhost');
    const port = options.port ?? (scheme === 'https:' ? 443 : 80);
    const target = `${scheme}//${formatHostPort(host, port)}`;
    const override = (options as { [PROXY_OVERRIDE]?: string })[PROXY_OVERRIDE];
    const proxy = override ?? proxyForUrl(target, settings.env);
    try {
      if (proxy) assertUsableProxy(proxy, redactUrl(target));
      if (settings.loopbackOnly) assertLoopback(host, proxy);
    } catch (err) {
      if (err instanceof ProxySettingError) settings.onProxySetting?.(err);
      // Handed over the way http.Agent reports a failed createConnection: no socket is
      // ever opened, and the caller sees the error on the request's 'error' event.
      (req as unknown as SocketSink).onSocket(null, err as Error);
      return;
    }
    capResponse(req, target, settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    if (proxy && SOCKS_PROTOCOLS.has(new URL(proxy).protocol)) {
      // socks-proxy-agent (agent-base) reads the target's scheme from `secureEndpoint`; it is
      // loaded on the first SOCKS request, so that request waits for it.
      const route = () => (viaProxy.get(proxy) as unknown as Dispatcher).addRequest(req, { ...options, secureEndpoint: scheme === 'https:' });
      if (socksLoaded()) route();
      else loadSocks().then(route, (err: Error) => (req as unknown as SocketSink).onSocket(null, err));
      return;
    }
    const chosen: http.Agent = proxy ? viaProxy.get(proxy) : direct;
    (chosen as unknown as Dispatcher).addRequest(req, options);
  };
  return {
    agent,
    destroy() {
      direct.destroy();
      viaProxy.destroy();
      agent.destroy();
    },
  };
}

/** The pair of dispatching agents behind an HTTP client, and a way to close their sockets. */
export interface DispatchingAgents {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  /** Closes every pooled socket, direct and through proxies. */
  destroy(): void;
}

export { type ProxyFailure, type ProxyFailureInfo, proxyFailureOf };

/**
 * Keep-alive agents that choose a proxy per request from `settings.env` (via
 * {@link proxyForUrl}), tunnel through it with hpagent, and enforce the loopback guard.
 * Hand them to SDKs: AWS `NodeHttpHandler({ httpAgent, httpsAgent })`, Azure `{ agent }`,
 * gaxios through a request interceptor (docs/proxy.md).
 */
export function createAgents(settings: AgentSettings): DispatchingAgents {
  const plain = dispatching(http.Agent, 'http:', settings);
  const secure = dispatching(https.Agent, 'https:', settings);
  return {
    httpAgent: plain.agent,
    httpsAgent: secure.agent,
    destroy() {
      plain.destroy();
      secure.destroy();
    },
  };
}

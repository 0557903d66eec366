/**
 * The agents that tunnel through one proxy: hpagent for http:// and https:// proxies,
 * socks-proxy-agent (loaded on first use) for socks:// ones. What they add to those packages is
 * one typed account of a proxy's failure ({@link ProxyFailure}): the proxy's answer to CONNECT,
 * a SOCKS refusal, or an https:// proxy that does not speak TLS, found before the handshake
 * would wait for a ServerHello that never comes.
 */
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { redactUrl } from './redact.js';

/** The brand a proxy failure carries, shared by every copy of autojoin. */
const PROXY_FAILURE = Symbol.for('autojoin.proxyFailure');

/** What went wrong with a proxy, as a caller (the ProxyError a provider call throws) reports it. */
export interface ProxyFailureInfo {
  /** The proxy URL without credentials. */
  proxy: string;
  /** What happened: `refused the tunnel`, `did not speak TLS`. */
  failed: string;
  /** What the proxy answered: `HTTP 403`, `HTTP 407 (check the proxy credentials)`, a SOCKS reply. */
  answer: string;
}

/** A proxy's failure, as the tunnelling agents hand it to the request (its `cause` is the library's error). */
export class ProxyFailure extends Error {
  readonly [PROXY_FAILURE]: ProxyFailureInfo;

  constructor(info: ProxyFailureInfo, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyFailure';
    this[PROXY_FAILURE] = info;
  }
}

/** The proxy failure somewhere in `error`'s cause chain, from this copy of autojoin or another. */
export function proxyFailureOf(error: unknown): ProxyFailureInfo | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const info = (e as { [PROXY_FAILURE]?: ProxyFailureInfo })[PROXY_FAILURE];
    if (info) return info;
  }
  return undefined;
}

/** The SOCKS schemes socks-proxy-agent speaks (`socks` and `socks5h` resolve names at the proxy). */
export const SOCKS_PROTOCOLS: ReadonlySet<string> = new Set(['socks:', 'socks4:', 'socks4a:', 'socks5:', 'socks5h:']);

/** Called with every failure an agent reports, for callers whose SDK drops the cause. */
export type FailureSink = (failure: ProxyFailure) => void;

type ConnectionCallback = (err: Error | null, socket: net.Socket | null) => void;
type CreateConnection = (options: http.RequestOptions, callback: ConnectionCallback) => net.Socket | undefined;

/** hpagent's `Bad response: 403` -> a failure naming the proxy's answer. */
function refused(shown: string, status: string, cause: unknown): ProxyFailure {
  const hint = status === '407' || status === '401' ? ' (check the proxy credentials)' : '';
  const answer = `HTTP ${status}${hint}`;
  return new ProxyFailure({ proxy: shown, failed: 'refused the tunnel', answer }, `proxy refused the tunnel with ${answer}`, { cause });
}

/** An https:// proxy that answered (or would answer) in plain HTTP. */
function notTls(proxy: URL, shown: string, cause?: unknown): ProxyFailure {
  const plain = `http://${proxy.host}`;
  const answer = `it answers in plain HTTP; if it is a plain HTTP proxy, write its URL as ${plain}`;
  return new ProxyFailure({ proxy: shown, failed: 'did not speak TLS', answer }, `the proxy did not speak TLS: ${answer}`, { cause });
}

/** OpenSSL's words for a first record that is not TLS (a plain HTTP answer, say). */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure|http request/i;

/**
 * Whether the https:// proxy at `proxy` speaks TLS. The handshake alone cannot tell: a plain
 * HTTP proxy reads the ClientHello as the start of a request line and waits for the rest, so
 * the handshake would hang until the caller's timeout. So while it runs, a second connection
 * asks the proxy `OPTIONS *` in plain HTTP: an `HTTP/` answer there while the handshake has
 * had no byte back means a plain HTTP proxy. A TLS proxy completes the handshake (or answers
 * the probe with a TLS alert, or after its ServerHello): then the handshake decides.
 * Resolves when the handshake completes; rejects with the handshake's error or a
 * {@link ProxyFailure}. `sockets` holds the open sockets, so the agent's destroy() can end them.
 */
function checkSpeaksTls(proxy: URL, shown: string, sockets: Set<net.Socket>): Promise<void> {
  return new Promise((resolve, reject) => {
    const host = proxy.hostname.replace(/^\[|\]$/g, '');
    const port = Number(proxy.port) || 443;
    const raw = net.connect({ host, port });
    const secure = tls.connect({ socket: raw, ...(net.isIP(host) ? {} : { servername: host }) });
    let probe: net.Socket | undefined;
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      for (const socket of [secure, raw, probe]) {
        if (!socket) continue;
        socket.destroy();
        sockets.delete(socket);
      }
      if (err) reject(err);
      else resolve();
    };
    sockets.add(raw).add(secure);
    secure.once('secureConnect', () => settle());
    const onError = (err: NodeJS.ErrnoException) => settle(err.code === 'EPROTO' || NOT_TLS.test(err.message) ? notTls(proxy, shown, err) : err);
    secure.once('error', onError);
    raw.once('error', onError);
    raw.once('connect', () => {
      probe = net.connect({ host, port });
      sockets.add(probe);
      probe.once('connect', () => probe?.end(`OPTIONS * HTTP/1.1\r\nHost: ${proxy.host}\r\nConnection: close\r\n\r\n`));
      probe.once('data', (chunk: Buffer) => {
        if (raw.bytesRead === 0 && /^HTTP\/\d/.test(chunk.toString('latin1', 0, 8))) settle(notTls(proxy, shown));
        else probe?.destroy();
      });
      // The probe only ever adds evidence; its own failure says nothing about TLS.
      probe.on('error', () => {});
    });
  });
}

/**
 * Wraps an hpagent agent's `createConnection`: refusals become {@link ProxyFailure}s, and an
 * https:// proxy is checked to speak TLS once (until a check fails) before hpagent's CONNECT.
 */
function guardHpagent<A extends http.Agent>(agent: A, proxy: URL, report: FailureSink): A {
  const shown = redactUrl(proxy.href);
  const original = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  const sockets = new Set<net.Socket>();
  let tlsChecked = proxy.protocol !== 'https:';
  let check: Promise<void> | undefined;
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    let called = false;
    const done: ConnectionCallback = (err, socket) => {
      if (called) return void socket?.destroy();
      called = true;
      if (!err) return callback(null, socket);
      const status = /^Bad response: (\d+)$/.exec(err.message)?.[1];
      const failure = err instanceof ProxyFailure ? err : status ? refused(shown, status, err) : undefined;
      if (failure) report(failure);
      callback(failure ?? err, null);
    };
    if (tlsChecked) return original(options, done);
    check ??= checkSpeaksTls(proxy, shown, sockets).then(
      () => {
        tlsChecked = true;
      },
      (err: Error) => {
        check = undefined;
        throw err;
      },
    );
    check.then(
      () => original(options, done),
      (err: Error) => done(err, null),
    );
    return undefined;
  };
  const destroy = agent.destroy.bind(agent);
  agent.destroy = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    destroy();
  };
  return agent;
}

/** socks-proxy-agent's module, once loaded ({@link loadSocks}). */
let socksModule: typeof import('socks-proxy-agent') | undefined;

/** Loads socks-proxy-agent (only a SOCKS proxy needs it); resolves at once when it is loaded. */
export async function loadSocks(): Promise<void> {
  socksModule ??= await import('socks-proxy-agent');
}

/** Whether {@link loadSocks} has completed, so {@link tunnelAgent} can build a SOCKS agent. */
export function socksLoaded(): boolean {
  return socksModule !== undefined;
}

/** A SOCKS agent whose failures to set up the tunnel are {@link ProxyFailure}s. */
function socksAgent(proxy: URL, agentOptions: http.AgentOptions, report: FailureSink): http.Agent {
  if (!socksModule) throw new Error('socks-proxy-agent is not loaded (call loadSocks() first)');
  const { SocksProxyAgent } = socksModule;
  const shown = redactUrl(proxy.href);
  const secrets = [proxy.username, proxy.password].filter((s) => s.length > 0).map((s) => decodeURIComponent(s));
  class GuardedSocksAgent extends SocksProxyAgent {
    override async connect(req: http.ClientRequest, options: Parameters<InstanceType<typeof SocksProxyAgent>['connect']>[1]) {
      try {
        return await super.connect(req, options);
      } catch (err) {
        // The socks package's errors (`Socks5 proxy rejected connection - ConnectionRefused`) are
        // its own; a TLS error to the target after the tunnel is up is the target's, not the proxy's.
        if ((err as Error | null)?.constructor?.name !== 'SocksClientError') throw err;
        let answer = (err as Error).message;
        for (const secret of secrets) answer = answer.split(secret).join('***');
        const failure = new ProxyFailure({ proxy: shown, failed: 'refused the tunnel', answer }, `SOCKS proxy refused the tunnel: ${answer}`, { cause: err });
        report(failure);
        throw failure;
      }
    }
  }
  return new GuardedSocksAgent(proxy, agentOptions);
}

/**
 * The agent that tunnels requests of `scheme` targets through `proxy` (http, https or socks;
 * for socks, {@link loadSocks} must have completed). Every proxy failure goes to `report` too.
 */
export function tunnelAgent(scheme: 'http:' | 'https:', proxy: string, agentOptions: http.AgentOptions, report: FailureSink): http.Agent {
  const url = new URL(proxy);
  if (SOCKS_PROTOCOLS.has(url.protocol)) return socksAgent(url, agentOptions, report);
  // hpagent tunnels with CONNECT for http targets too, so the proxy must allow CONNECT to any port.
  const agent = scheme === 'https:' ? new HttpsProxyAgent({ ...agentOptions, proxy: url }) : new HttpProxyAgent({ ...agentOptions, proxy: url });
  return guardHpagent(agent, url, report);
}

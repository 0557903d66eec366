import type http from 'node:http';
import type https from 'node:https';

/** Options for one request through the shared HTTP stack. */
export interface HttpRequestOptions {
  /** @default 'GET' */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /**
   * Per-request timeout in milliseconds; the call rejects with `TimeoutError` past it. `0` arms no
   * timer: only `signal` ends the request. Through a provider's `ctx.http`, a request without one is
   * bounded by the discovery call's deadline instead of the default.
   * @default 60000
   */
  timeoutMs?: number;
  /**
   * Most bytes of body accepted; past it the connection is closed and the call rejects with
   * `ResponseTooLargeError`. @default the client's `maxResponseBytes` (32 MiB)
   */
  maxResponseBytes?: number;
  signal?: AbortSignal;
  /** Statuses accepted as success; anything else throws `HttpStatusError`. @default 200-299 */
  okStatus?: (status: number) => boolean;
  /**
   * TLS settings for an https URL (ignored for http), for services with their own trust settings.
   * Connections are pooled per distinct setting. Options the client itself was built with (its
   * `ca`) win over these, as Node's agents merge them.
   * @example { ca: caPem, cert: clientPem, key: clientKeyPem, servername: 'server.dc1.consul' }
   */
  tls?: RequestTlsOptions;
  /**
   * This request's proxy (`http://` or `https://` URL), instead of the one HTTP_PROXY / HTTPS_PROXY /
   * NO_PROXY would choose, which are then not read: a kubeconfig cluster's `proxy-url`, as client-go
   * uses it. The loopback guard applies to it as to any proxy. @default the environment's choice
   */
  proxy?: string;
}

/** Per-request TLS settings (the matching `tls.connect` options). */
export interface RequestTlsOptions {
  /** Trusted CA certificates (PEM), replacing Node's store for this request. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Client certificate chain (PEM), for servers that require one. */
  cert?: string | Buffer;
  /** The client certificate's private key (PEM). */
  key?: string | Buffer;
  /** The name the server certificate must carry (and SNI), instead of the URL's host. */
  servername?: string;
  /** `false` accepts any server certificate. @default true */
  rejectUnauthorized?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; a malformed body throws `MalformedResponseError` (ERR_MALFORMED_RESPONSE). */
  json<T = unknown>(): T;
}

/**
 * The one HTTP stack. Every provider talks through it: directly with `request`, or by handing
 * `httpAgent` / `httpsAgent` to its SDK. The agents keep connections alive, choose a proxy per
 * request from HTTP_PROXY / HTTPS_PROXY / NO_PROXY, and refuse non-loopback hosts when
 * `AUTOJOIN_LOOPBACK_ONLY` is set (tests).
 */
export interface HttpClient {
  request(url: string | URL, options?: HttpRequestOptions): Promise<HttpResponse>;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
  /** The proxy URL a request to `url` would use, or undefined for a direct connection. */
  proxyFor(url: string | URL): string | undefined;
  /** `autojoin/<version>`, plus the caller's own user agent when one was given. */
  readonly userAgent: string;
  /**
   * Only loopback hosts may be reached (`AUTOJOIN_LOOPBACK_ONLY=1` in the caller's env or the
   * process's). Providers that open sockets of their own (DNS, multicast) obey it too.
   */
  readonly loopbackOnly: boolean;
}

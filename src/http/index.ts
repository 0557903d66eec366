/** The one HTTP stack: client, proxy-aware agents, retry policy and redaction. */
export { isLoopbackHost } from '../address.js';
export {
  autojoinVersion,
  createHttpClient,
  DEFAULT_TIMEOUT_MS,
  type HttpClientOptions,
  type NodeHttpClient,
} from './client.js';
export {
  assertLoopback,
  assertUsableProxy,
  createAgents,
  type DispatchingAgents,
  type Env,
  noProxyMatches,
  type ProxyFailureInfo,
  proxyFailureOf,
  proxyForUrl,
} from './proxy.js';
export { redactUrl, scrubSecrets } from './redact.js';
export {
  backoffDelay,
  retryAfterDelay,
  classifyHttpError,
  parseRetryAfter,
  type RetryClock,
  type RetryOptions,
  type RetryVerdict,
  retryCall,
} from './retry.js';
export type { HttpClient, HttpRequestOptions, HttpResponse, RequestTlsOptions } from './types.js';

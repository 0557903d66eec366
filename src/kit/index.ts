/**
 * `autojoin/provider`: the provider kit. Everything a provider needs, built-in or plugin: the
 * descriptor and its argument schema (with cross-argument rules), the typed errors, the one
 * retried API call, address helpers, and the simulator kit. The built-in providers import only
 * this module from the engine, so an out-of-tree plugin can do all that a built-in does.
 *
 * @example
 * import { defineProvider, retryCall, classifyHttpError, ProviderError } from 'autojoin/provider';
 */
export {
  ADDR_TYPES,
  type AddrType,
  type AnyProvider,
  type ArgRule,
  type ArgSchema,
  type ArgSpec,
  type ArgsOf,
  defineProvider,
  type ProviderContext,
  type ProviderDescriptor,
  type Target,
} from '../provider.js';
export { checkRules, crossArgProblems } from '../args.js';
export * from '../errors.js';
export {
  backoffDelay,
  retryAfterDelay,
  classifyHttpError,
  DEFAULT_MAX_ATTEMPTS,
  logRetries,
  parseRetryAfter,
  type RetryClock,
  type RetryInfo,
  type RetryOptions,
  type RetryVerdict,
  retryCall,
  TRANSIENT_SOCKET_CODES,
} from '../http/retry.js';
export {
  type ApiCallContext,
  type ApiCallSpec,
  apiCall,
  type Classifier,
  classifyProviderError,
  createClassifier,
  type GetJsonSpec,
  getJson,
  isTransientCause,
} from '../http/call.js';
export type { HttpClient, HttpRequestOptions, HttpResponse } from '../http/types.js';
export { printable, printableLine } from '../text.js';
export { type Clock, clampTimerMs, systemClock } from '../clock.js';
export { formatHostPort, type HostPort, ipVersion, isLoopbackHost, parsePort, splitHostPort, stripBrackets, withoutZone } from '../address.js';
export { parseGoBool, parseGoDuration } from '../duration.js';
export { type Logger, silentLogger } from '../log.js';
export { formatConfig } from '../config/format.js';
export { redactUrl } from '../http/redact.js';
export type { RequestTlsOptions } from '../http/types.js';

/**
 * The HTTP stack's module, loaded on demand (proxy agents are not loaded until a call needs them):
 * for a provider that needs a client of its own, e.g. one without proxy variables for a
 * link-local metadata endpoint. `ctx.http` is the usual choice.
 */
export const loadHttpStack = () => import('../http/index.js');
export { REDACTED, isSecretName } from '../redact.js';
export * from './sim.js';
export { DEFAULT_PAGE_CONCURRENCY, type NumberedPagesSpec, readNumberedPages } from './pages.js';

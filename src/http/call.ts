/**
 * ONE retried API call for every provider: the provider's error mapper turns whatever the SDK
 * or the HTTP client threw into a typed error, one classifier factory decides what is worth
 * another attempt, and {@link retryCall} does the waiting (attempts, deadline, signal,
 * `Retry-After`). A provider writes `apiCall(ctx, { operation, toError }, send)` and nothing more.
 */
import { AbortError, NetworkError, ProviderError, TimeoutError } from '../errors.js';
import type { Logger } from '../log.js';
import type { HttpClient, HttpResponse } from './types.js';
import { classifyHttpError, DEFAULT_MAX_ATTEMPTS, logRetries, type RetryVerdict, retryCall, TRANSIENT_SOCKET_CODES } from './retry.js';

/** A classifier: what one failure is worth. */
export type Classifier = (error: unknown) => RetryVerdict;

/** Options for {@link createClassifier}. */
export interface ClassifierOptions {
  /**
   * A cloud's own sign that a ProviderError with no HTTP status is transient (an SDK's parse
   * error on a body cut short, a token endpoint's `temporarily_unavailable`...).
   */
  transient?(error: ProviderError): boolean;
}

/** A failure below HTTP worth another attempt: a reset, a refused connection, a timed-out request. */
export function isTransientCause(cause: unknown): boolean {
  if (cause instanceof NetworkError || cause instanceof TimeoutError) return true;
  if (typeof cause !== 'object' || cause === null) return false;
  const { code, name } = cause as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) || name === 'TimeoutError';
}

/**
 * The one classifier factory. For a `ProviderError`: throttled retries (its `Retry-After`
 * honoured); an HTTP status retries when 5xx; no status retries when the cause is a transient
 * socket failure or `transient` says so. Anything else is classified by {@link classifyHttpError}.
 * Aborts never retry.
 * @example const classify = createClassifier({ transient: (e) => e.cloudCode === 'PARSE_ERROR' });
 */
export function createClassifier(options: ClassifierOptions = {}): Classifier {
  return (error) => {
    if (error instanceof AbortError) return { retry: false };
    if (!(error instanceof ProviderError)) return classifyHttpError(error);
    const afterMs = error.retryAfterMs;
    const retrying = (throttled: boolean): RetryVerdict => (afterMs === undefined ? { retry: true, throttled } : { retry: true, throttled, afterMs });
    if (error.throttled) return retrying(true);
    if (error.status !== undefined && error.status >= 500) return retrying(false);
    // A body cut short carries its status (often 200) and a socket error: the connection failed, retry.
    if (isTransientCause(error.cause) || options.transient?.(error)) return { retry: true };
    return { retry: false };
  };
}

/** The classifier every provider gets unless it names its own transient errors. */
export const classifyProviderError: Classifier = createClassifier();

/** What a retried call needs from the provider's context. */
export interface ApiCallContext {
  signal?: AbortSignal;
  /** Epoch ms; no wait ends past it. */
  deadline?: number;
  /** @default 4 */
  maxAttempts?: number;
  log?: Logger;
}

/** One API operation: its name, the provider's error mapper and (optionally) its classifier. */
export interface ApiCallSpec {
  /** The provider's name, for log lines (`discover-aws: DescribeInstances: ...`). */
  provider: string;
  /** The API operation, e.g. `DescribeInstances`. */
  operation: string;
  /** Whatever one attempt threw -> a typed error (a ProviderError, or autojoin's own passed through). */
  toError(error: unknown, operation: string): unknown;
  /** @default classifyProviderError */
  classify?: Classifier;
}

/**
 * One retried API call: `send` is one attempt; its failure is typed by `spec.toError`, judged by
 * the classifier and retried under the context's attempts, deadline and signal.
 * @example
 *   const page = await apiCall(ctx, { provider: 'aws', operation: 'DescribeInstances', toError }, () => client.send(cmd));
 */
export function apiCall<T>(ctx: ApiCallContext, spec: ApiCallSpec, send: (attempt: number) => Promise<T>): Promise<T> {
  return retryCall(
    async (attempt) => {
      try {
        return await send(attempt);
      } catch (error) {
        throw spec.toError(error, spec.operation);
      }
    },
    {
      classify: spec.classify ?? classifyProviderError,
      maxAttempts: ctx.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      signal: ctx.signal,
      deadline: ctx.deadline,
      log: ctx.log,
      what: `discover-${spec.provider}: ${spec.operation}`,
      // Every retry is said in the -v log, throttles included.
      ...(ctx.log ? { onRetry: logRetries(ctx.log) } : {}),
    },
  );
}

/** What {@link getJson} asks: one REST GET, its headers, and the provider's error for a non-2xx answer. */
export interface GetJsonSpec {
  provider: string;
  operation: string;
  url: URL;
  headers?: Record<string, string>;
  /** The provider's typed error for an answer that is not 2xx (status, throttling, Retry-After). */
  errorFor(response: HttpResponse): Error;
}

/**
 * One REST GET under the one retried call: the JSON body of a 2xx answer. A failed connection is a
 * ProviderError naming the operation (retried as transient); other answers are `spec.errorFor`'s.
 * @example const body = await getJson(ctx, { provider: 'hetzner', operation: 'ListServers', url, headers, errorFor });
 */
export function getJson(ctx: ApiCallContext & { http: HttpClient }, spec: GetJsonSpec): Promise<unknown> {
  const toError = (error: unknown) =>
    error instanceof NetworkError ? new ProviderError(spec.provider, error.message, { operation: spec.operation, cause: error }) : error;
  return apiCall(ctx, { provider: spec.provider, operation: spec.operation, toError }, async () => {
    const response = await ctx.http.request(spec.url, { headers: spec.headers, signal: ctx.signal, okStatus: () => true });
    if (response.status < 200 || response.status > 299) throw spec.errorFor(response);
    return response.json<unknown>();
  });
}

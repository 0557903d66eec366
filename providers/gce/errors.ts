/**
 * GCE failures -> {@link ProviderError}. Pure and SDK-free (duck-typed): reads the status,
 * the Google error body (`{"error":{"code","message","errors":[{"reason"}],"status"}}` or
 * OAuth2's `{"error","error_description"}`) and `Retry-After`, never the request, so neither
 * the bearer token nor the signed assertion can reach a message.
 */
import {
  AbortError,
  AutojoinError,
  type Classifier,
  createClassifier,
  HttpStatusError,
  LoopbackOnlyError,
  MalformedResponseError,
  NetworkError,
  parseRetryAfter,
  printableLine,
  ProviderError,
  TimeoutError,
  TRANSIENT_SOCKET_CODES,
} from '../../src/kit/index.js';

/** `errors[].reason` values that mean "slow down" (quotaExceeded is not: it does not pass by waiting). */
const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);

/** The fields of a Google JSON error body we read. */
interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: Array<{ reason?: string; message?: string; domain?: string }>;
}

interface ErrorShape {
  name?: string;
  message?: string;
  code?: string | number;
  status?: number;
  cause?: unknown;
  error?: unknown;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

/** What a Google error response says, parsed. */
export interface ParsedGoogleError {
  status: number | undefined;
  /** `errors[0].reason` (compute's code, e.g. `rateLimitExceeded`), else the canonical `status`, else OAuth2's `error`. */
  cloudCode: string | undefined;
  message: string | undefined;
  throttled: boolean;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Reads a Google error body (a JSON string or an object): compute's AIP-193 form or the OAuth2
 * token endpoint's form. Pure.
 * @example parseGoogleError(403, '{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"reason":"rateLimitExceeded"}]}}')
 *   // { status: 403, cloudCode: 'rateLimitExceeded', message: 'Rate Limit Exceeded', throttled: true }
 */
export function parseGoogleError(status: number | undefined, body: unknown): ParsedGoogleError {
  const json = asObject(body);
  const inner = json?.error;
  let cloudCode: string | undefined;
  let message: string | undefined;
  let canonical: string | undefined;
  if (inner && typeof inner === 'object') {
    const e = inner as GoogleErrorBody;
    canonical = typeof e.status === 'string' ? e.status : undefined;
    const reason = Array.isArray(e.errors) ? e.errors.find((x) => typeof x?.reason === 'string')?.reason : undefined;
    cloudCode = reason ?? canonical;
    message = typeof e.message === 'string' ? e.message : undefined;
    if (status === undefined && typeof e.code === 'number') status = e.code;
  } else if (typeof inner === 'string') {
    cloudCode = inner;
    message = typeof json?.error_description === 'string' ? json.error_description : undefined;
  }
  const throttled = status === 429 || canonical === 'RESOURCE_EXHAUSTED' || (cloudCode !== undefined && THROTTLE_REASONS.has(cloudCode));
  return { status, cloudCode, message, throttled };
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

/** The first AutojoinError in a cause chain (the loopback guard, our timeouts, aborts). */
function ownError(err: unknown): AutojoinError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    if (current instanceof AutojoinError) return current;
    seen.add(current);
    const e = current as ErrorShape;
    current = e.cause ?? e.error;
  }
  return undefined;
}

/** A socket error code somewhere in the cause chain. */
function networkCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as ErrorShape;
    if (typeof e.code === 'string' && (TRANSIENT_SOCKET_CODES.has(e.code) || /^E[A-Z]+$/.test(e.code))) return e.code;
    if (e.message === 'terminated' || e.message === 'Premature close' || /socket hang up/.test(e.message ?? '')) {
      return 'ECONNRESET';
    }
    current = e.cause ?? e.error;
  }
  return undefined;
}

/** The loopback guard's refusal, from its code and message wherever they sit in the chain. */
function loopbackRefusal(err: unknown): LoopbackOnlyError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    if (current instanceof LoopbackOnlyError) return current;
    const e = current as ErrorShape;
    if (e.code === 'ERR_LOOPBACK_ONLY') {
      const host = /refused to connect to (.+?): AUTOJOIN_LOOPBACK_ONLY/.exec(e.message ?? '')?.[1];
      return new LoopbackOnlyError(host ?? 'a non-loopback host');
    }
    current = e.cause ?? e.error;
  }
  return undefined;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * A 200 whose body is not the API's answer (HTML, another shape, garbage): never retried, never
 * read as "no instances". `reason` starts with `malformed response`.
 */
export function malformedResponse(operation: string, reason: string, url: string, cause?: unknown): MalformedResponseError {
  return new MalformedResponseError(`discover-gce: ${operation}: ${printableLine(reason, 300)}`, url, cause === undefined ? undefined : { cause });
}

/**
 * Wraps whatever a GCE call threw into a {@link ProviderError} naming `operation`.
 * Aborts and autojoin's own errors (loopback guard...) pass through unchanged; our HTTP stack's
 * status and network errors (metadata server calls) become ProviderErrors too.
 */
export function toProviderError(err: unknown, operation: string): AutojoinError {
  if (err instanceof ProviderError || err instanceof AbortError) return err;
  if (err instanceof MalformedResponseError) {
    return err.message.startsWith('discover-gce: ') ? err : malformedResponse(operation, err.message, err.url, err);
  }
  if (err instanceof HttpStatusError) {
    const parsed = parseGoogleError(err.status, err.body);
    const retryAfterMs = parseRetryAfter(err.headers['retry-after'], Date.now());
    return new ProviderError('gce', parsed.message ?? (firstLine(err.body) || `HTTP ${err.status}`), {
      operation,
      status: err.status,
      cloudCode: parsed.cloudCode,
      throttled: parsed.throttled,
      retryAfterMs,
      cause: err,
    });
  }
  if (err instanceof NetworkError || err instanceof TimeoutError) {
    return new ProviderError('gce', err.message, { operation, cause: err });
  }
  // node-fetch keeps only the code and text of a socket error: rebuild the loopback guard's.
  const refused = loopbackRefusal(err);
  if (refused) return refused;
  const own = ownError(err);
  if (own) {
    const wrappable = own instanceof HttpStatusError || own instanceof NetworkError || own instanceof TimeoutError || own instanceof MalformedResponseError;
    return wrappable ? toProviderError(own, operation) : own;
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorShape;
  if (e.name === 'AbortError') return new AbortError(`discover-gce: ${operation}`, { cause: err });
  const status = e.response?.status ?? e.status;
  if (status !== undefined && status >= 300) {
    const parsed = parseGoogleError(status, e.response?.data ?? e.message);
    const retryAfterMs = parseRetryAfter(headerOf(e.response?.headers, 'retry-after'), Date.now());
    return new ProviderError('gce', parsed.message ?? `HTTP ${status}`, {
      operation,
      status,
      cloudCode: parsed.cloudCode,
      throttled: parsed.throttled,
      retryAfterMs,
      cause: err,
    });
  }
  const code = networkCode(err);
  if (code) return new ProviderError('gce', `network error: ${firstLine(e.message ?? '')}`, { operation, cloudCode: code, cause: err });
  if (e.name === 'SyntaxError' || /JSON|Unexpected token|malformed|null response|invalid wire type|index out of range/i.test(e.message ?? '')) {
    return malformedResponse(operation, `malformed response: ${firstLine(e.message ?? '')}`, '', err);
  }
  return new ProviderError('gce', firstLine(e.message ?? '') || String(e.name ?? 'unknown error'), { operation, cause: err });
}

/**
 * The retry decision: the shared classifier (throttling with Retry-After, 5xx, transient network
 * failures: resets, truncated bodies, timeouts), plus gax's socket codes (`E...`) carried as the
 * cloud code; auth, other 4xx and malformed bodies do not retry.
 */
export const classifyGceError: Classifier = createClassifier({
  transient: (error) => error.cloudCode !== undefined && /^E[A-Z]+$/.test(error.cloudCode),
});

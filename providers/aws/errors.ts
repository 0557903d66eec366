/**
 * AWS SDK errors -> {@link ProviderError}. Pure: reads the fields the SDK puts on its
 * exceptions (`name`, `$metadata.httpStatusCode`, `$response.headers`), never the request,
 * so no credential can leak into a message.
 */
import { AbortError, AutojoinError, createClassifier, MalformedResponseError, parseRetryAfter, printableLine, ProviderError } from '../../src/kit/index.js';

/** Error codes AWS uses to say "slow down" (EC2 Query, JSON protocols, S3-style). */
const THROTTLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

/**
 * Wraps whatever an SDK call threw into a {@link ProviderError} naming `operation`.
 * Autojoin's own errors (abort, timeout, loopback guard) pass through unchanged.
 */
export function toProviderError(err: unknown, operation: string): AutojoinError {
  if (err instanceof AutojoinError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  if (e.name === 'AbortError') return new AbortError(`discover-aws: ${operation}`, { cause: err });
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const isServiceError = e.$fault !== undefined && status !== undefined;
  const cloudCode = isServiceError ? e.name : undefined;
  const throttled = status === 429 || (cloudCode !== undefined && THROTTLE_CODES.has(cloudCode));
  const retryAfterMs = parseRetryAfter(header(e.$response?.headers, 'retry-after'), Date.now());
  const reason = describe(e, isServiceError);
  // A 200 whose body is not the API's answer (HTML, JSON, garbage): never retried, never "no peers".
  if (status !== undefined && status >= 200 && status < 300 && reason.startsWith('malformed response')) {
    return new MalformedResponseError(`discover-aws: ${operation}: ${printableLine(reason, 300)}`, '', { cause: err });
  }
  return new ProviderError('aws', reason, { operation, status, cloudCode, throttled, retryAfterMs, cause: err });
}

/**
 * The retry decision: the shared classifier (throttling with Retry-After, 5xx, transient socket
 * failures and SDK timeouts retry; auth, 4xx and malformed answers do not).
 */
export const classifyAwsError = createClassifier();

function describe(e: SdkErrorShape, isServiceError: boolean): string {
  const message = (e.message ?? '').trim();
  if (isServiceError) return message || 'the service returned an error';
  const first = firstLine(message);
  if (e.name === 'CredentialsProviderError') {
    return `no credentials: ${first}${profileHint()} (give access_key_id and secret_access_key, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or run with an instance or task role)`;
  }
  const unreadable = /Deserialization error|parse error|Unexpected end|in JSON at/i.test(message);
  // A socket error while the SDK read the body: the answer was cut short (truncated or reset).
  if (e.code !== undefined) return unreadable ? `response cut short: ${e.code}: ${first}` : `${e.code}: ${first}`;
  if (e.name === 'SyntaxError' || unreadable) return `malformed response: ${first}`;
  return first || String(e.name ?? 'unknown error');
}

/**
 * The profile the SDK's default chain looked for, and where (it reads process.env, not the call's
 * env): its own message names neither. A profile name and file paths are no secrets.
 */
function profileHint(): string {
  const profile = process.env.AWS_PROFILE;
  if (!profile) return '';
  const credentials = process.env.AWS_SHARED_CREDENTIALS_FILE || '~/.aws/credentials';
  const config = process.env.AWS_CONFIG_FILE || '~/.aws/config';
  return `; AWS_PROFILE=${printableLine(profile, 100)}, looked up in ${printableLine(credentials, 200)} and ${printableLine(config, 200)}`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function header(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

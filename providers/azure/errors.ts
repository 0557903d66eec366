/**
 * Azure SDK errors -> autojoin errors. Duck-typed on purpose: the SDK classes (`RestError`,
 * `AuthenticationError`, `CredentialUnavailableError`, `AggregateAuthenticationError`) are
 * recognised by `name` and fields, so this file loads no SDK and can be table-tested.
 */
import { AbortError, AutojoinError, type Classifier, createClassifier, parseRetryAfter, ProviderError } from '../../src/kit/index.js';

const PROVIDER = 'azure';

interface HeadersLike {
  get(name: string): string | undefined;
}

interface AzureErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { status?: number; headers?: HeadersLike; bodyAsText?: string | null };
  errorResponse?: { error?: string; errorDescription?: string; error_description?: string };
  errors?: unknown[];
}

/** The first line of an Entra ID error description, e.g. `AADSTS7000215: Invalid client secret provided. ...`. */
function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

/** Network failures worth another attempt (the body never arrived or arrived cut short). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/**
 * Converts whatever an Azure call threw into an autojoin error. `operation` names the ARM
 * operation (`NetworkInterfaces_ListAll`) or `GetToken` for the identity step.
 * Autojoin errors pass through unchanged.
 */
export function toAzureError(err: unknown, operation: string): AutojoinError {
  if (err instanceof AutojoinError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as AzureErrorLike;
  if (e.name === 'AbortError') return new AbortError(`discover-azure: ${operation}`, { cause: err });

  // Entra ID / managed identity refused or could not issue a token.
  if (AUTH_ERROR_NAMES.has(e.name ?? '')) return tokenError(e, err);

  const status = e.statusCode ?? e.response?.status;
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after'), Date.now());
  const throttled = status === 429 || e.code === 'TooManyRequests';
  let reason = e.message ? firstLine(e.message) : 'request failed';
  if (e.code === 'PARSE_ERROR') {
    reason = status === undefined ? `response body cut short (${reason})` : `malformed response body (${reason.slice(0, 160)})`;
  }
  return new ProviderError(PROVIDER, reason, {
    operation,
    status,
    cloudCode: e.code,
    throttled,
    retryAfterMs,
    cause: err,
  });
}

const AUTH_ERROR_NAMES = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);

/** OAuth2 `error` values after which a new token request may succeed. */
const TRANSIENT_OAUTH = new Set(['temporarily_unavailable', 'server_error']);
const OAUTH_STATUS: Record<string, number> = { invalid_client: 401, server_error: 500, temporarily_unavailable: 503 };

/**
 * A failed token request. MSAL reports the Entra error as text
 * (`invalid_client: Error(s): 7000215 - Timestamp: ... - Description: AADSTS7000215: ... Trace ID: ...`)
 * and drops the HTTP status, so both are read back from the text.
 */
function tokenError(e: AzureErrorLike, err: unknown): ProviderError {
  const inner = e.name === 'AggregateAuthenticationError' ? lastAuthError(e) : e;
  const text = inner.errorResponse?.errorDescription ?? inner.errorResponse?.error_description ?? inner.message ?? 'no token';
  // Managed identity prefixes the same text: `ManagedIdentityCredential: Authentication failed. Message server_error: Error(s): ...`.
  const oauthError = inner.errorResponse?.error ?? /(?:^|\s)([a-z_]+): Error\(s\):/.exec(text)?.[1];
  const aadsts = /AADSTS\d+/.exec(text)?.[0];
  const description = /AADSTS\d+: (.*?)(?: Trace ID:|$)/.exec(text)?.[1] ?? firstLine(text);
  const status = typeof inner.statusCode === 'number' && inner.statusCode > 0 ? inner.statusCode : oauthError ? OAUTH_STATUS[oauthError] : undefined;
  const throttled = status === 429 || aadsts === 'AADSTS50196';
  const error = new ProviderError(PROVIDER, firstLine(description), {
    operation: 'GetToken',
    status,
    cloudCode: aadsts ?? oauthError ?? inner.name,
    throttled,
    retryAfterMs: throttled ? parseRetryAfter(inner.response?.headers?.get('retry-after'), Date.now()) : undefined,
    cause: err,
  });
  // MSAL words a 5xx answer as `<code>: AADSTS<code>: ...` (no OAuth error name, no status).
  if (throttled || (oauthError !== undefined && TRANSIENT_OAUTH.has(oauthError)) || /^\d+: AADSTS\d+:/.test(text)) {
    transientTokenErrors.add(error);
  }
  return error;
}

/** Token errors worth another request (Entra ID 5xx, throttling, temporarily_unavailable). */
const transientTokenErrors = new WeakSet<ProviderError>();

function lastAuthError(e: AzureErrorLike): AzureErrorLike {
  const inner = (e.errors ?? []).filter((x): x is AzureErrorLike => typeof x === 'object' && x !== null);
  // The chain tried each credential in order; the most specific failure is the last real one.
  return inner.findLast((x) => x.name === 'AuthenticationError') ?? inner.at(-1) ?? e;
}

/**
 * The retry decision for one failed Azure call: the shared classifier (throttling and 5xx with
 * Retry-After, connections that failed), plus Azure's own transient signs: a token error Entra ID
 * or managed identity marks as temporary, a network code the SDK carries as its error code, and
 * a body cut short (PARSE_ERROR without a status). Refused credentials, 4xx answers and bodies
 * that are not JSON are final.
 */
export const classifyAzureError: Classifier = createClassifier({
  transient: (error) =>
    transientTokenErrors.has(error) ||
    (error.status === undefined && error.cloudCode !== undefined && (NETWORK_CODES.has(error.cloudCode) || error.cloudCode === 'PARSE_ERROR')),
});

/**
 * What the REST calls (client.ts) and the SOAP calls (guest-net.ts) share: network errors named
 * as the provider's, the refused-password error, and ending a session once, bounded, whatever
 * happened to the call.
 */
import { NetworkError, ProviderError, type ProviderContext, printableLine, type RequestTlsOptions } from '../../src/kit/index.js';

/** `apiCall`'s `toError`: a network failure becomes a ProviderError naming the operation. */
export function toVsphereError(error: unknown, operation: string): unknown {
  if (!(error instanceof NetworkError)) return error;
  return new ProviderError('vsphere', error.message, { operation, cause: error });
}

/** The error for a refused user or password (REST 401, SOAP InvalidLogin): names the user, never the password. */
export function authenticationFailed(user: string, operation: string, refused: ProviderError): ProviderError {
  return new ProviderError(
    'vsphere',
    `authentication failed: the password of user ${JSON.stringify(user)} was refused (check user / VSPHERE_USER and password / VSPHERE_PASSWORD)`,
    { operation, status: refused.status, cloudCode: refused.cloudCode, cause: refused },
  );
}

/**
 * Ends a session (`DELETE /api/session`, SOAP `Logout`): one request, 5 s at most, and not under
 * ctx.signal, so the session goes even when the call was aborted or timed out. A failure is
 * logged, never thrown over the call's own result.
 */
export async function endSession(
  ctx: ProviderContext,
  operation: string,
  url: URL,
  request: { method: string; headers: Record<string, string>; body?: string; ok: (status: number) => boolean },
  tls: RequestTlsOptions | undefined,
): Promise<void> {
  try {
    const response = await ctx.http.request(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      okStatus: () => true,
      timeoutMs: 5000,
      ...(tls ? { tls } : {}),
    });
    if (!request.ok(response.status)) ctx.log.warn(`discover-vsphere: ${operation} answered ${response.status}; the session expires on its own`);
  } catch (error) {
    ctx.log.warn(
      `discover-vsphere: ${operation} failed (${error instanceof Error ? printableLine(error.message, 200) : 'unknown'}); the session expires on its own`,
    );
  }
}

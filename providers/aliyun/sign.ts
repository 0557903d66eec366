/**
 * Alibaba Cloud's RPC signature v1.0 (HMAC-SHA1 over the percent-encoded, sorted query;
 * provider-apis.md §9). Pure: the client signs with it and the simulator recomputes it, so both
 * are held to the published vectors.
 */
import { createHmac } from 'node:crypto';

/** RFC 3986 percent-encoding as Alibaba wants it: `encodeURIComponent` plus `!'()*`. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonicalized query string: every parameter but `Signature`, sorted by name, encoded. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 'Signature')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => `${percentEncode(name)}=${percentEncode(params[name] as string)}`)
    .join('&');
}

export function stringToSign(method: string, params: Record<string, string>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** `Base64(HMAC-SHA1(secret + "&", StringToSign))` */
export function rpcSignature(method: string, params: Record<string, string>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(stringToSign(method, params), 'utf8').digest('base64');
}

/** The `Timestamp` format: `YYYY-MM-DDThh:mm:ssZ`, UTC, no milliseconds. */
export function rpcTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * TC3-HMAC-SHA256, the request signature of every Tencent Cloud API 3.0 service
 * (provider-apis.md §8; Tencent's "Signature v3" doc). Pure: the client signs with it and the
 * simulator recomputes it to verify, so both are held to the published worked example.
 */
import { createHash, createHmac } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

/** What one signature covers. Header names are matched case-insensitively. */
export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** Unix seconds, as sent in `X-TC-Timestamp`. */
  timestamp: number;
  /** `cvm` */
  service: string;
  method: string;
  /** The canonical query string (`''` for POST). */
  query?: string;
  /** The headers to sign (at least `content-type` and `host`). */
  headers: Record<string, string>;
  /** The body exactly as sent. */
  payload: string | Buffer;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The UTC `YYYY-MM-DD` of a Unix time (the credential scope's date). */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** Every intermediate of the signature, so tests can hold each to the published example. */
export interface Tc3Signature {
  signedHeaders: string;
  canonicalRequest: string;
  stringToSign: string;
  signingKey: Buffer;
  signature: string;
  authorization: string;
}

export function tc3Sign(input: Tc3Input): Tc3Signature {
  const date = tc3Date(input.timestamp);
  const entries = Object.entries(input.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().toLowerCase()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = entries.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = entries.map(([name]) => name).join(';');
  const canonicalRequest = [input.method.toUpperCase(), '/', input.query ?? '', canonicalHeaders, signedHeaders, sha256Hex(input.payload)].join('\n');
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = `${TC3_ALGORITHM}\n${input.timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signingKey = hmac(hmac(hmac(`TC3${input.secretKey}`, date), input.service), 'tc3_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    signedHeaders,
    canonicalRequest,
    stringToSign,
    signingKey,
    signature,
    authorization: `${TC3_ALGORITHM} Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

/** The parts of an `Authorization: TC3-HMAC-SHA256 ...` header, or undefined when it is not one. */
export function parseTc3Authorization(
  header: string,
): { secretId: string; date: string; service: string; signedHeaders: string[]; signature: string } | undefined {
  const m =
    /^TC3-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([a-z0-9-]+)\/tc3_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    );
  if (!m) return undefined;
  const [, secretId, date, service, signed, signature] = m as unknown as [string, string, string, string, string, string];
  return { secretId, date, service, signedHeaders: signed.split(';'), signature };
}

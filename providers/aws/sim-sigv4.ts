/**
 * The simulator's SigV4 check: parse the `Authorization` header, then sign the received request
 * again with the fleet's secret (@smithy/signature-v4, the SDK's own signer) over exactly the
 * headers the client said it signed, and compare signatures.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SimRequest } from '../../src/kit/index.js';

/** The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`. */
export interface SigV4Authorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses a SigV4 `Authorization` header; undefined when it is absent or not well formed. */
export function parseAuthorization(header: string | string[] | undefined): SigV4Authorization | undefined {
  if (typeof header !== 'string') return undefined;
  const match =
    /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header.trim(),
    );
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    date: date as string,
    region: region as string,
    service: service as string,
    signedHeaders: (signedHeaders as string).split(';'),
    signature: signature as string,
  };
}

/** The credential scope's service of a request (`ec2`, `ecs`), for routing. */
export function scopeService(req: SimRequest): string | undefined {
  return parseAuthorization(req.headers.authorization)?.service;
}

/** Why a request was refused, in the words the module turns into the cloud's error. */
export type SigV4Verdict =
  | { ok: true; auth: SigV4Authorization }
  | { ok: false; reason: 'missing' | 'expired' | 'unknown-key' | 'bad-token' | 'bad-signature' };

/** AWS refuses a signature whose time is further than this from its own clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/** What the sim accepts: the fleet's AWS credentials. */
export interface SimAwsCredentials {
  access_key_id: string;
  secret_access_key: string;
  session_token?: string;
}

/**
 * What the sim accepts when the fleet names no AWS credentials: the demo's fake pair. AWS refuses
 * every unsigned or wrongly signed call, so the sim never accepts "any signature" either.
 */
export const DEFAULT_SIM_AWS_CREDENTIALS: Readonly<SimAwsCredentials> = Object.freeze({
  access_key_id: 'AKIDSIMULATOR0000000',
  secret_access_key: 'simulator-secret-key-not-real',
});

/** The fleet's AWS credentials, or {@link DEFAULT_SIM_AWS_CREDENTIALS} when it names none. */
export function simAwsCredentials(fleetCredentials: SimAwsCredentials | undefined): SimAwsCredentials {
  return fleetCredentials ?? DEFAULT_SIM_AWS_CREDENTIALS;
}

/**
 * Checks a request's signature against `credentials` (the defaults when undefined). When the fleet has a session token the
 * request must carry it in `x-amz-security-token` (temporary credentials are useless without it).
 */
export async function verifySigV4(req: SimRequest, fleetCredentials: SimAwsCredentials | undefined, now: number = Date.now()): Promise<SigV4Verdict> {
  const auth = parseAuthorization(req.headers.authorization);
  const amzDate = header(req, 'x-amz-date');
  if (!auth || !amzDate || !auth.signedHeaders.includes('host')) return { ok: false, reason: 'missing' };
  const signingDate = parseAmzDate(amzDate);
  if (!(Math.abs(now - signingDate.getTime()) <= MAX_CLOCK_SKEW_MS)) return { ok: false, reason: 'expired' };
  const credentials = simAwsCredentials(fleetCredentials);
  if (auth.accessKeyId !== credentials.access_key_id) return { ok: false, reason: 'unknown-key' };
  const token = header(req, 'x-amz-security-token');
  if (credentials.session_token !== undefined && token !== credentials.session_token) return { ok: false, reason: 'bad-token' };

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = header(req, name);
    if (value !== undefined) headers[name] = value;
  }
  // The signer trusts x-amz-content-sha256 as the payload hash; AWS hashes the body it received.
  if (headers['x-amz-content-sha256'] !== undefined) {
    headers['x-amz-content-sha256'] = createHash('sha256').update(req.body).digest('hex');
  }
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of req.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const request = new HttpRequest({
    method: req.method,
    protocol: `${req.scheme}:`,
    hostname: req.url.hostname,
    port: req.url.port ? Number(req.url.port) : undefined,
    path: req.url.pathname,
    query,
    headers,
    body: req.body,
  });
  const signer = new SignatureV4({
    service: auth.service,
    region: auth.region,
    sha256: Hash.bind(null, 'sha256'),
    // The signer adds x-amz-content-sha256 by default; match what the client did.
    applyChecksum: auth.signedHeaders.includes('x-amz-content-sha256'),
    credentials: {
      accessKeyId: credentials.access_key_id,
      secretAccessKey: credentials.secret_access_key,
      ...(token !== undefined ? { sessionToken: token } : {}),
    },
  });
  const signed = await signer.sign(request, {
    signingDate,
    signingRegion: auth.region,
    signingService: auth.service,
    signableHeaders: new Set(auth.signedHeaders),
  });
  const expected = parseAuthorization(signed.headers.authorization)?.signature ?? '';
  const same = expected.length === auth.signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
  return same ? { ok: true, auth } : { ok: false, reason: 'bad-signature' };
}

/** `20261125T212000Z` -> Date. */
function parseAmzDate(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return new Date(Number.NaN);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The simulator as Google's identity provider: a service-account key of its own (written to
 * `<stateDir>/gce-service-account.json`), the OAuth2 JWT-bearer token endpoint that checks the
 * assertion's RS256 signature, and the access tokens it issued (which compute calls must carry).
 */
import { createPublicKey, createVerify, generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fleetCredentials, type SimContext, type SimResponse } from '../../src/kit/index.js';

/** File name of the service-account key the simulator writes into its state folder. */
export const SERVICE_ACCOUNT_FILE = 'gce-service-account.json';
/** Google's real token endpoint: google-auth-library signs assertions for this audience. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const TOKEN_LIFETIME_S = 3599;
const CLOCK_SKEW_S = 300;

interface AuthState {
  publicKey: KeyObject;
  clientEmail: string;
  tokenUri: string;
  /** access token -> expiry (epoch ms) and the OAuth scopes it was granted */
  tokens: Map<string, { expiry: number; scopes: readonly string[] }>;
}

/** Per running simulator (tests run several in one process, some sharing a state folder). */
const states = new WeakMap<SimContext, AuthState>();

export function simProject(ctx: SimContext): string {
  return fleetCredentials<{ project?: string }>(ctx, 'gce')?.project ?? 'sim-project';
}

function clientEmailOf(ctx: SimContext): string {
  return fleetCredentials<{ client_email?: string }>(ctx, 'gce')?.client_email ?? `autojoin-sim@${simProject(ctx)}.iam.gserviceaccount.com`;
}

/** Path of the service-account key file for this simulator. */
export function serviceAccountPath(ctx: SimContext): string {
  return path.join(ctx.stateDir, SERVICE_ACCOUNT_FILE);
}

/** Generates a fresh RSA key pair and writes the service-account JSON (private key included). */
export async function writeServiceAccount(ctx: SimContext): Promise<void> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const clientEmail = clientEmailOf(ctx);
  const tokenUri = `${ctx.httpUrl}/token`;
  const file = {
    type: 'service_account',
    project_id: simProject(ctx),
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
  // Write then rename, so a reader never sees half a key when several simulators share the folder.
  const target = serviceAccountPath(ctx);
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, target);
  states.set(ctx, { publicKey, clientEmail, tokenUri, tokens: new Map() });
}

function stateOf(ctx: SimContext): AuthState {
  let state = states.get(ctx);
  if (!state) {
    // setup() ran in another process (a sim restarted on the same folder): read the key back.
    const file = JSON.parse(readFileSync(serviceAccountPath(ctx), 'utf8')) as { private_key: string; client_email: string; token_uri: string };
    state = { publicKey: createPublicKey(file.private_key), clientEmail: file.client_email, tokenUri: file.token_uri, tokens: new Map() };
    states.set(ctx, state);
  }
  return state;
}

/**
 * The scopes a VM's default service account holds when the metadata server is asked without
 * `scopes=` (the "Allow full access to all Cloud APIs" access scope).
 */
export const DEFAULT_INSTANCE_SCOPES: readonly string[] = ['https://www.googleapis.com/auth/cloud-platform'];

/**
 * Scopes that let a token read Compute Engine instances (the Compute API's discovery document lists
 * these for `instances.aggregatedList` / `instances.list` / `zones.list`).
 */
export const COMPUTE_READ_SCOPES: readonly string[] = [
  'https://www.googleapis.com/auth/compute',
  'https://www.googleapis.com/auth/compute.readonly',
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/cloud-platform.read-only',
];

/** Issues a random access token for `scopes`, valid for an hour. */
export function issueToken(ctx: SimContext, scopes: readonly string[]): { access_token: string; expires_in: number; token_type: 'Bearer' } {
  const token = `ya29.sim-${randomBytes(24).toString('base64url')}`;
  stateOf(ctx).tokens.set(token, { expiry: Date.now() + TOKEN_LIFETIME_S * 1000, scopes: [...scopes] });
  return { access_token: token, expires_in: TOKEN_LIFETIME_S, token_type: 'Bearer' };
}

/**
 * What is wrong with the `Authorization` header for a call needing one of `anyOf` scopes: `missing`,
 * `invalid` (not a live token this simulator issued), `scope` (a live token without such a scope),
 * or undefined when it is accepted.
 */
export function tokenProblem(ctx: SimContext, authorization: string | undefined, anyOf: readonly string[]): 'missing' | 'invalid' | 'scope' | undefined {
  if (!authorization) return 'missing';
  const m = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!m) return 'invalid';
  const issued = stateOf(ctx).tokens.get(m[1]!);
  if (issued === undefined || issued.expiry <= Date.now()) return 'invalid';
  return issued.scopes.some((scope) => anyOf.includes(scope)) ? undefined : 'scope';
}

function json(status: number, body: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

/** Google's token endpoint error body (`{"error":"invalid_grant","error_description":...}`). */
export function oauthError(status: number, error: string, description: string): SimResponse {
  return json(status, { error, error_description: description });
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST /token`, grant `urn:ietf:params:oauth:grant-type:jwt-bearer`: verifies the assertion's
 * RS256 signature with the simulator's public key, then its issuer, audience, times and scope.
 */
export function handleTokenRequest(ctx: SimContext, body: Buffer): SimResponse {
  const form = new URLSearchParams(body.toString('utf8'));
  const grantType = form.get('grant_type');
  if (grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }
  const parts = (form.get('assertion') ?? '').split('.');
  if (parts.length !== 3)
    return oauthError(400, 'invalid_request', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  const [headerPart, claimsPart, signature] = parts as [string, string, string];
  const header = decodeSegment(headerPart);
  const claims = decodeSegment(claimsPart);
  if (!header || !claims || header.alg !== 'RS256') return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
  const state = stateOf(ctx);
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${headerPart}.${claimsPart}`);
  if (!verifier.verify(state.publicKey, Buffer.from(signature, 'base64url'))) {
    return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
  }
  if (claims.iss !== state.clientEmail) return oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
  if (claims.aud !== state.tokenUri && claims.aud !== GOOGLE_TOKEN_URL) {
    return oauthError(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
  }
  const now = Date.now() / 1000;
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!(iat <= now + CLOCK_SKEW_S && exp > now - CLOCK_SKEW_S && exp - iat <= 3600)) {
    return oauthError(
      400,
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    );
  }
  const scopes = String(claims.scope ?? '')
    .split(/\s+/)
    .filter((scope) => scope !== '');
  if (scopes.length === 0 || !scopes.every((s) => s.startsWith('https://www.googleapis.com/auth/'))) {
    return oauthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  }
  return json(200, issueToken(ctx, scopes));
}

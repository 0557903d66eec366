/**
 * Access tokens the simulated Entra ID issues and the simulated ARM accepts: JWT-shaped
 * (`header.payload.signature`, base64url), signed with HMAC-SHA256 under a key drawn once per
 * process, so ARM can check a token without shared state and a made-up token never passes.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

const signingKey = randomBytes(32);

/** Lifetime of an issued token, seconds (Entra ID's usual 3599). */
export const TOKEN_LIFETIME_S = 3599;

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function sign(data: string): string {
  return createHmac('sha256', signingKey).update(data).digest('base64url');
}

/** What a token says about its holder. */
export interface TokenClaims {
  /** Audience: the resource the token is for. */
  aud: string;
  tid: string;
  appid: string;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** Issue a signed token. `nowS` is epoch seconds. */
export function issueToken(claims: Omit<TokenClaims, 'exp'>, nowS = Math.floor(Date.now() / 1000)): { token: string; exp: number } {
  const exp = nowS + TOKEN_LIFETIME_S;
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: 'autojoin-sim' }));
  const payload = b64url(
    JSON.stringify({
      ...claims,
      iss: `https://sts.windows.net/${claims.tid}/`,
      iat: nowS,
      nbf: nowS,
      exp,
      oid: randomUUID(),
      ver: '1.0',
    }),
  );
  return { token: `${header}.${payload}.${sign(`${header}.${payload}`)}`, exp };
}

/** The claims of a token this process issued and that has not expired; undefined otherwise. */
export function verifyToken(token: string, nowS = Math.floor(Date.now() / 1000)): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(`${header}.${payload}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    return typeof claims.exp === 'number' && claims.exp > nowS ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** What the resource checks besides the signature: who the token is for, from and about. */
export interface TokenExpectation {
  /** The audiences the resource accepts (ARM: its own URL, with or without the final `/`). */
  audiences: readonly string[];
  /** The tenant of the subscription. */
  tenant: string;
  /** The application ids that hold a role on the subscription. */
  appIds: readonly string[];
}

/** Why a valid token is still refused, or undefined when it is accepted. */
export function tokenMismatch(claims: TokenClaims, expected: TokenExpectation): 'audience' | 'tenant' | 'app' | undefined {
  if (!expected.audiences.includes(claims.aud)) return 'audience';
  if (claims.tid.toLowerCase() !== expected.tenant.toLowerCase()) return 'tenant';
  if (!expected.appIds.some((id) => id.toLowerCase() === String(claims.appid).toLowerCase())) return 'app';
  return undefined;
}

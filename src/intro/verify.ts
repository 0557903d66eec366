/**
 * Verifying a client introduction token with `jose`. Nomad checks the signature and the time
 * claims only (`nomad/encrypter.go` `VerifyClaim`, go-jose's 1 minute leeway); this also checks,
 * by default, the algorithm allow-list, the audience, the region in `sub`, that the claims are an
 * intro token's, and (with a store) that the `jti` is used once.
 */
import { errors as joseErrors, importJWK, type JWK, jwtVerify } from 'jose';
import { toMs } from '../duration.js';
import { INTRO_TOKEN_CODES, IntroTokenError } from './errors.js';
import type { JtiStore } from './jti.js';
import { JwksCache, type KeySource, staticKeys } from './jwks.js';
import type { Jwks } from './keys.js';
import { DEFAULT_REGION, decodeIntroToken, INTRO_ALGORITHMS, NOMAD_AUDIENCE, parseIntroSubject } from './token.js';

export interface VerifyIntroOptions {
  /** Public keys: a JWKS, a list of JWKs, or a key source such as a {@link JwksCache}. */
  keys?: Jwks | readonly JWK[] | KeySource;
  /** A JWKS URL; a {@link JwksCache} with its defaults is made for it. Give `keys: cache` to share one. */
  jwksUrl?: string;
  /** The region `sub` must name; `null` to accept any. @default 'global' (Nomad's default region) */
  region?: string | null;
  /** The audience `aud` must be (a string or a one-element list); `null` to accept any. @default 'nomadproject.io' */
  audience?: string | null;
  /** When given, `iss` must equal it. @default not checked (Nomad sets it only with `oidc_issuer`) */
  issuer?: string;
  /** Leeway on `exp`, `nbf` and `iat`, ms or Go duration. @default '5s' (Nomad: 1m) */
  clockTolerance?: number | string;
  /** When given, the token's `jti` is marked used, and a used one is refused. @default no replay check */
  replay?: JtiStore;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** What a verified token says. */
export interface VerifiedIntroToken {
  kind: 'intro';
  nodePool: string;
  /** Empty: any node name. */
  nodeName: string;
  region: string;
  jti: string;
  /** ms since the epoch */
  issuedAt: number;
  expiresAt: number;
  alg: string;
  kid: string;
  claims: Record<string, unknown>;
}

/** A node identity (`nomad_node_id`), which a node whose state was garbage-collected presents. */
export interface VerifiedNodeIdentity {
  kind: 'node';
  nodeId: string;
  nodePool: string;
  region: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
  alg: string;
  kid: string;
  claims: Record<string, unknown>;
}

const fail = (code: (typeof INTRO_TOKEN_CODES)[keyof typeof INTRO_TOKEN_CODES], message: string, cause?: unknown) =>
  new IntroTokenError(code, message, cause === undefined ? undefined : { cause });

/** One cache per `jwksUrl`, so verifying many tokens fetches the JWKS once (and refreshes within its bounds). */
const jwksByUrl = new Map<string, JwksCache>();

function keySource(options: VerifyIntroOptions): KeySource {
  const keys = options.keys;
  if (keys !== undefined) {
    if (typeof (keys as KeySource).key === 'function') return keys as KeySource;
    return staticKeys(keys as Jwks | readonly JWK[]);
  }
  if (options.jwksUrl !== undefined) {
    let cache = jwksByUrl.get(options.jwksUrl);
    if (cache === undefined) jwksByUrl.set(options.jwksUrl, (cache = new JwksCache({ url: options.jwksUrl })));
    return cache;
  }
  throw new TypeError('verifyIntroToken: give keys or jwksUrl');
}

/** jose's claim errors -> our codes. */
function mapJoseError(error: unknown): IntroTokenError {
  if (error instanceof joseErrors.JWTExpired) return fail(INTRO_TOKEN_CODES.expired, 'token is expired (exp)', error);
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf' || error.claim === 'iat') {
      return fail(INTRO_TOKEN_CODES.notYetValid, `token is not valid yet (${error.claim})`, error);
    }
    if (error.claim === 'exp') return fail(INTRO_TOKEN_CODES.notIntro, 'token has no usable exp claim', error);
    return fail(INTRO_TOKEN_CODES.notIntro, `token claim ${error.claim} is invalid: ${error.reason}`, error);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return fail(INTRO_TOKEN_CODES.signature, 'invalid signature', error);
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return fail(INTRO_TOKEN_CODES.algorithm, 'algorithm not allowed', error);
  if (error instanceof joseErrors.JOSEError) return fail(INTRO_TOKEN_CODES.malformed, `token is not a valid JWT (${error.code})`, error);
  throw error;
}

/** Signature, algorithm, times and audience: what every Nomad identity shares. */
async function verifySigned(jwt: string, options: VerifyIntroOptions) {
  const { header } = decodeIntroToken(jwt);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(INTRO_ALGORITHMS as readonly string[]).includes(alg)) {
    throw fail(INTRO_TOKEN_CODES.algorithm, `algorithm ${JSON.stringify(alg ?? null)} is not allowed (only ${INTRO_ALGORITHMS.join(', ')})`);
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') throw fail(INTRO_TOKEN_CODES.unknownKid, 'token header has no kid');
  const jwk = await keySource(options).key(kid);
  if (jwk === undefined) throw fail(INTRO_TOKEN_CODES.unknownKid, `no key with kid ${JSON.stringify(kid)}`);
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw fail(INTRO_TOKEN_CODES.algorithm, `key ${JSON.stringify(kid)} is for ${jwk.alg}, the token says ${alg}`);
  }
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(jwk, alg);
  } catch (error) {
    throw fail(INTRO_TOKEN_CODES.algorithm, `key ${JSON.stringify(kid)} cannot verify ${alg}`, error);
  }
  const now = options.now ?? Date.now;
  const tolerance = Math.round(toMs(options.clockTolerance ?? '5s', 'clockTolerance') / 1000);
  const verified = await jwtVerify(jwt, key, {
    algorithms: [alg],
    clockTolerance: tolerance,
    currentDate: new Date(now()),
    requiredClaims: ['exp'],
  }).catch((error: unknown) => {
    throw mapJoseError(error);
  });
  const claims = verified.payload as Record<string, unknown>;
  // jose checks `iat` only with maxTokenAge; go-jose refuses an `iat` in the future, so do we.
  if (typeof claims.iat === 'number' && claims.iat > now() / 1000 + tolerance) {
    throw fail(INTRO_TOKEN_CODES.notYetValid, 'token is not valid yet (iat)');
  }
  const audience = options.audience === undefined ? NOMAD_AUDIENCE : options.audience;
  if (audience !== null) {
    const aud = claims.aud;
    const one = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
    if (one !== audience) throw fail(INTRO_TOKEN_CODES.audience, `audience ${JSON.stringify(aud ?? null)} is not ${JSON.stringify(audience)}`);
  }
  if (options.issuer !== undefined && claims.iss !== options.issuer) {
    throw fail(INTRO_TOKEN_CODES.issuer, `issuer ${JSON.stringify(claims.iss ?? null)} is not ${JSON.stringify(options.issuer)}`);
  }
  return { claims, alg, kid, expiresAt: (claims.exp as number) * 1000, issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : 0 };
}

function checkRegion(region: string, options: VerifyIntroOptions): void {
  const expected = options.region === undefined ? DEFAULT_REGION : options.region;
  if (expected !== null && region !== expected) {
    throw fail(INTRO_TOKEN_CODES.region, `token is for region ${JSON.stringify(region)}, not ${JSON.stringify(expected)}`);
  }
}

async function consume(jti: unknown, expiresAt: number, options: VerifyIntroOptions): Promise<void> {
  if (!options.replay) return;
  if (typeof jti !== 'string' || jti === '') throw fail(INTRO_TOKEN_CODES.notIntro, 'token has no jti');
  if (!(await options.replay.use(jti, expiresAt))) throw fail(INTRO_TOKEN_CODES.replayed, `token jti ${jti} was used before`);
}

/**
 * Verifies a node introduction token: signature (RS256 or EdDSA, key by `kid`), `exp`, `nbf`,
 * `iat`, audience, region, the intro claims, and the `jti` when a replay store is given.
 * @example
 * const intro = await verifyIntroToken(jwt, { jwksUrl: 'http://127.0.0.1:4646/.well-known/jwks.json', region: 'global' });
 * intro.nodePool; // 'gpu'
 * @throws IntroTokenError with a stable code per failure (see INTRO_TOKEN_CODES); IntroJwksError when the JWKS cannot be fetched
 */
export async function verifyIntroToken(jwt: string, options: VerifyIntroOptions): Promise<VerifiedIntroToken> {
  const verified = await verifyIdentity(jwt, options);
  if (verified.kind !== 'intro') throw fail(INTRO_TOKEN_CODES.notIntro, 'token is a node identity, not an introduction token');
  return verified;
}

/**
 * Verifies an introduction token or a node identity (what a server sees at registration).
 * @throws as {@link verifyIntroToken}
 */
export async function verifyIdentity(jwt: string, options: VerifyIntroOptions): Promise<VerifiedIntroToken | VerifiedNodeIdentity> {
  const { claims, alg, kid, expiresAt, issuedAt } = await verifySigned(jwt, options);
  const jti = typeof claims.jti === 'string' ? claims.jti : '';
  const intro = parseIntroSubject(claims.sub);
  if (intro) {
    const pool = claims.nomad_node_pool;
    const name = claims.nomad_node_name;
    if (typeof pool !== 'string' || pool === '' || typeof name !== 'string') {
      throw fail(INTRO_TOKEN_CODES.notIntro, 'token lacks nomad_node_pool or nomad_node_name');
    }
    if (pool !== intro.nodePool || name !== intro.nodeName) throw fail(INTRO_TOKEN_CODES.notIntro, 'token sub does not match its node claims');
    checkRegion(intro.region, options);
    await consume(claims.jti, expiresAt, options);
    return { kind: 'intro', nodePool: pool, nodeName: name, region: intro.region, jti, issuedAt, expiresAt, alg, kid, claims };
  }
  // A node identity: sub = node:<region>:<pool>:<node_id>:default
  const parts = typeof claims.sub === 'string' ? claims.sub.split(':') : [];
  if (parts.length === 5 && parts[0] === 'node' && parts[4] === 'default' && typeof claims.nomad_node_id === 'string') {
    if (claims.nomad_node_id !== parts[3]) throw fail(INTRO_TOKEN_CODES.notIntro, 'token sub does not match its node claims');
    checkRegion(parts[1] as string, options);
    const nodePool = typeof claims.nomad_node_pool === 'string' ? claims.nomad_node_pool : (parts[2] as string);
    return { kind: 'node', nodeId: claims.nomad_node_id, nodePool, region: parts[1] as string, jti, issuedAt, expiresAt, alg, kid, claims };
  }
  throw fail(INTRO_TOKEN_CODES.notIntro, 'token is not a node introduction token (sub is not node-introduction:...)');
}

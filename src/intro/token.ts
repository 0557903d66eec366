/**
 * Nomad's client introduction token, minted and read with `jose`
 * (`nomad/structs/node.go` `GenerateNodeIntroductionIdentityClaims`, `nomad/encrypter.go` `SignClaims`).
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { INTRO_TOKEN_CODES, IntroTokenError } from './errors.js';
import { DEFAULT_INTRO_POLICY, type IntroPolicy, introTTL } from './policy.js';

/** Nomad's `IdentityDefaultAud`: the one audience of every Nomad identity. */
export const NOMAD_AUDIENCE = 'nomadproject.io';
/** Nomad's default region (`-region`), used when none is given. */
export const DEFAULT_REGION = 'global';
/** Nomad's `NodePoolDefault`, what an empty pool becomes (`Canonicalize`). */
export const DEFAULT_NODE_POOL = 'default';
/** The algorithms Nomad signs identities with: RS256 for an RSA root key, EdDSA otherwise. */
export const INTRO_ALGORITHMS = ['RS256', 'EdDSA'] as const;
export type IntroAlgorithm = (typeof INTRO_ALGORITHMS)[number];

/** The claims of a node introduction token, as Nomad writes them. */
export interface IntroClaims {
  nomad_node_pool: string;
  /** Present even when empty (empty: any node name is accepted). */
  nomad_node_name: string;
  /** `node-introduction:<region>:<pool>:<name>:default` */
  sub: string;
  /** `nomadproject.io`; go-jose writes one audience as a plain string. */
  aud: string | string[];
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  /** Only when the servers have an `oidc_issuer`. */
  iss?: string;
}

/** A private key to sign with: a JWK (from `discover intro keygen`), a CryptoKey or a KeyObject. */
export type IntroSigningKey = JWK | CryptoKey | import('node:crypto').KeyObject;

export interface CreateIntroTokenOptions {
  /** @default 'default' */
  nodePool?: string;
  /** Empty: any node name is accepted. @default '' */
  nodeName?: string;
  /** Milliseconds or a Go duration; 0 or none: the policy's default, clamped to its maximum. */
  ttl?: number | string;
  /** TTL default and maximum. @default Nomad's: 5m and 30m */
  policy?: IntroPolicy;
  /** @default 'global' */
  region?: string;
  /** `iss`, only when given (Nomad: `oidc_issuer`). */
  issuer?: string;
  /** The signing key (private). */
  key: IntroSigningKey;
  /** Header `kid`. @default the JWK's own `kid` */
  kid?: string;
  /** @default from the key: EdDSA for Ed25519, RS256 for RSA */
  alg?: IntroAlgorithm;
  /** Receives Nomad's WARN when the TTL is clamped. */
  logger?: Logger;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
}

/** `node-introduction:<region>:<pool>:<name>:default` (the name may be empty). */
export function introSubject(region: string, nodePool: string, nodeName: string): string {
  return ['node-introduction', region, nodePool, nodeName, 'default'].join(':');
}

/** The parts of an introduction subject, or undefined when `sub` is not one. */
export function parseIntroSubject(sub: unknown): { region: string; nodePool: string; nodeName: string } | undefined {
  if (typeof sub !== 'string') return undefined;
  const parts = sub.split(':');
  if (parts.length !== 5 || parts[0] !== 'node-introduction' || parts[4] !== 'default') return undefined;
  return { region: parts[1] as string, nodePool: parts[2] as string, nodeName: parts[3] as string };
}

function algorithmOf(key: IntroSigningKey): IntroAlgorithm | undefined {
  if ('kty' in key && typeof key.kty === 'string') {
    const jwk = key as JWK;
    if (jwk.alg === 'RS256' || jwk.alg === 'EdDSA') return jwk.alg as IntroAlgorithm;
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
    if (jwk.kty === 'RSA') return 'RS256';
    return undefined;
  }
  if ('asymmetricKeyType' in key) {
    if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
    if (key.asymmetricKeyType === 'rsa') return 'RS256';
    return undefined;
  }
  const name = (key as CryptoKey).algorithm?.name;
  if (name === 'Ed25519') return 'EdDSA';
  if (name === 'RSASSA-PKCS1-v1_5') return 'RS256';
  return undefined;
}

const NO_COLON = (value: string, name: string) => {
  // The subject is colon-separated: a colon in a part would make it ambiguous.
  if (value.includes(':')) throw new UsageError(`${name}: ${JSON.stringify(value)} must not contain ":"`);
};

/**
 * Mints a client introduction token in Nomad's format: header `alg`, `kid`, `typ: JWT`; claims
 * `nomad_node_pool`, `nomad_node_name`, `sub`, `aud`, `jti`, `iat`, `nbf`, `exp` (and `iss` when
 * an issuer is given).
 * @example
 * const jwt = await createIntroToken({ nodePool: 'gpu', nodeName: 'gpu-7', ttl: '10m', key: privateJwk });
 * @throws UsageError for a bad TTL, pool, name, region or key
 */
export async function createIntroToken(options: CreateIntroTokenOptions): Promise<string> {
  const now = options.now ?? Date.now;
  const nodePool = options.nodePool || DEFAULT_NODE_POOL;
  const nodeName = options.nodeName ?? '';
  const region = options.region || DEFAULT_REGION;
  NO_COLON(nodePool, 'nodePool');
  NO_COLON(nodeName, 'nodeName');
  NO_COLON(region, 'region');
  const ttlMs = introTTL(options.ttl, options.policy ?? DEFAULT_INTRO_POLICY, options.logger);
  const alg = options.alg ?? algorithmOf(options.key);
  if (alg === undefined || !(INTRO_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError('key: not an Ed25519 or RSA private key (intro tokens are signed with EdDSA or RS256)');
  }
  const jwk = 'kty' in options.key && typeof options.key.kty === 'string' ? (options.key as JWK) : undefined;
  const kid = options.kid ?? jwk?.kid;
  if (!kid) throw new UsageError('kid: required (the key has no "kid")');
  if (jwk && jwk.d === undefined) throw new UsageError('key: a public key cannot sign; give the private key');
  const key = jwk ? await importJWK(jwk, alg) : (options.key as CryptoKey);

  const seconds = Math.floor(now() / 1000);
  const claims: Omit<IntroClaims, 'aud' | 'jti' | 'iat' | 'nbf' | 'exp' | 'sub'> = { nomad_node_pool: nodePool, nomad_node_name: nodeName };
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setSubject(introSubject(region, nodePool, nodeName))
    .setAudience(NOMAD_AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(seconds)
    .setNotBefore(seconds)
    .setExpirationTime(seconds + Math.ceil(ttlMs / 1000));
  if (options.issuer) jwt.setIssuer(options.issuer);
  return jwt.sign(key);
}

/** A token read without checking its signature. */
export interface DecodedIntroToken {
  header: { alg?: string; kid?: string; typ?: string };
  claims: Partial<IntroClaims> & Record<string, unknown>;
}

/**
 * Reads a token's header and claims WITHOUT checking the signature (for `discover intro inspect`
 * and for the join loop's expiry guard). Never use the result to admit anyone.
 * @throws IntroTokenError `ERR_INTRO_MALFORMED` when it is not a compact JWT (the message never quotes it)
 */
export function decodeIntroToken(jwt: string): DecodedIntroToken {
  try {
    const header = decodeProtectedHeader(jwt) as DecodedIntroToken['header'];
    const claims = decodeJwt(jwt) as DecodedIntroToken['claims'];
    return { header, claims };
  } catch (error) {
    throw new IntroTokenError(INTRO_TOKEN_CODES.malformed, 'token is not a JWT (three base64url parts with a JSON header and claims)', {
      cause: error,
    });
  }
}

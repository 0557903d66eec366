/** Key pairs for signing introduction tokens, and their public JWKS (what `/.well-known/jwks.json` serves). */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { IntroAlgorithm } from './token.js';

/** A JSON Web Key Set. */
export interface Jwks {
  keys: JWK[];
}

export interface IntroKeyPair {
  /** Private JWK with `kid`, `alg` and `use`: a secret, keep it out of logs and repositories. */
  privateJwk: JWK;
  /** The public half, safe to publish. */
  publicJwk: JWK;
  /** `{ keys: [publicJwk] }` */
  jwks: Jwks;
}

/**
 * A fresh signing key pair: Ed25519 (EdDSA) by default, or RSA 2048 (RS256) as Nomad's RSA root keys.
 * @example const { privateJwk, jwks } = await generateIntroKey({ alg: 'RS256' });
 */
export async function generateIntroKey(options: { alg?: IntroAlgorithm; kid?: string } = {}): Promise<IntroKeyPair> {
  const alg = options.alg ?? 'EdDSA';
  const kid = options.kid ?? randomUUID();
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const meta = { kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), ...meta };
  const privateJwk = { ...(await exportJWK(privateKey)), ...meta };
  return { privateJwk, publicJwk, jwks: { keys: [publicJwk] } };
}

/** The public half of a JWK (drops the private members of RSA and OKP keys). */
export function publicJwkOf(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk as JWK & { oth?: unknown };
  return pub;
}

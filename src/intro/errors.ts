/**
 * Errors of client introduction tokens. Like every error of autojoin they extend
 * {@link AutojoinError}: callers match on `code`. No message ever holds a token: at most its
 * `kid`, `jti` or claims, which are not secrets.
 */
import { AutojoinError } from '../errors.js';

/** The `client_introduction` policy is invalid. `problems` holds Nomad's texts, one per problem. */
export class IntroPolicyError extends AutojoinError {
  static override readonly configError = true;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    // Nomad's agent prints the multierror under this prefix (command/agent/agent.go).
    const list = problems.map((p) => `\t* ${p}`).join('\n');
    const head = problems.length === 1 ? '1 error occurred' : `${problems.length} errors occurred`;
    super('ERR_INTRO_POLICY', `invalid server.client_introduction configuration: ${head}:\n${list}\n\n`);
    this.problems = problems;
  }
}

/** Why a token was refused; each is the stable `code` of an {@link IntroTokenError}. */
export const INTRO_TOKEN_CODES = {
  /** Not a compact JWS/JWT at all. */
  malformed: 'ERR_INTRO_MALFORMED',
  /** `alg` is `none` or outside the allow-list (RS256, EdDSA). */
  algorithm: 'ERR_INTRO_ALGORITHM',
  /** The header's `kid` names no known key, even after a JWKS refresh. */
  unknownKid: 'ERR_INTRO_UNKNOWN_KID',
  /** The signature does not verify with the key named by `kid`. */
  signature: 'ERR_INTRO_SIGNATURE',
  /** `exp` is past. */
  expired: 'ERR_INTRO_EXPIRED',
  /** `nbf` (or `iat`) is in the future. */
  notYetValid: 'ERR_INTRO_NOT_YET_VALID',
  /** `aud` is not the expected audience. */
  audience: 'ERR_INTRO_AUDIENCE',
  /** `iss` is not the expected issuer. */
  issuer: 'ERR_INTRO_ISSUER',
  /** The region in `sub` is not the expected one. */
  region: 'ERR_INTRO_REGION',
  /** Signed and valid, but not a node introduction token (no `nomad_node_pool`, wrong `sub`). */
  notIntro: 'ERR_INTRO_NOT_INTRO',
  /** The token's `jti` was used before. */
  replayed: 'ERR_INTRO_REPLAYED',
} as const;

export type IntroTokenCode = (typeof INTRO_TOKEN_CODES)[keyof typeof INTRO_TOKEN_CODES];

/** A token failed verification. `code` says why (see {@link INTRO_TOKEN_CODES}). */
export class IntroTokenError extends AutojoinError {
  declare readonly code: IntroTokenCode;

  constructor(code: IntroTokenCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The JWKS could not be fetched or holds no usable key. `url` carries no credentials. */
export class IntroJwksError extends AutojoinError {
  readonly url: string;

  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('ERR_INTRO_JWKS', `jwks ${url}: ${message}`, options);
    this.url = url;
  }
}

/**
 * The token offered for joining cannot be used at all: already expired, not a JWT, or its file is
 * a directory or unreadable. Waiting cannot fix it, so the join never starts (CLI exit 2).
 */
export class IntroTokenUnusableError extends AutojoinError {
  static override readonly configError = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INTRO_TOKEN_UNUSABLE', message, options);
  }
}

/** The join loop stopped because its introduction token expired before a join succeeded. */
export class IntroTokenExpiredError extends AutojoinError {
  /** When the token expired (ms since the epoch). */
  readonly expiredAt: number;
  /** Attempts made before the loop stopped. */
  readonly attempts: number;

  constructor(expiredAt: number, attempts: number, lastError?: Error) {
    const last = lastError ? `; last error: ${lastError.message}` : '';
    super(
      'ERR_INTRO_TOKEN_EXPIRED',
      `retry join stopped: the intro token expired at ${new Date(expiredAt).toISOString()} after ${attempts} attempt(s) without a join${last}`,
      { cause: lastError },
    );
    this.expiredAt = expiredAt;
    this.attempts = attempts;
  }
}

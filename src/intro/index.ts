/**
 * Client introduction tokens (Nomad 1.11's, same format): mint, inspect, verify, admit, present.
 * Also published as `autojoin/intro`. See docs/intro-tokens.md.
 */
export {
  ADMISSION_MESSAGES,
  type AdmissionDecision,
  type AdmissionPolicy,
  admitRegistration,
  formatAdmission,
  INTRO_VIOLATION_METRIC,
  IntroCounters,
  type RegistrationRequest,
  type Violation,
  type ViolationCounter,
} from './admit.js';
export {
  INTRO_TOKEN_CODES,
  type IntroTokenCode,
  IntroJwksError,
  IntroPolicyError,
  IntroTokenError,
  IntroTokenExpiredError,
  IntroTokenUnusableError,
} from './errors.js';
export { FileJtiStore, type JtiStore, MemoryJtiStore } from './jti.js';
export { JwksCache, type JwksCacheOptions, type KeySource, parseJwks, staticKeys } from './jwks.js';
export { generateIntroKey, type IntroKeyPair, type Jwks, publicJwkOf } from './keys.js';
export {
  DEFAULT_INTRO_POLICY,
  ENFORCEMENT_LEVELS,
  type Enforcement,
  type IntroPolicy,
  type IntroPolicyInput,
  introTTL,
  validateIntroPolicy,
} from './policy.js';
export {
  type FoundIntroToken,
  INTRO_TOKEN_ENV,
  INTRO_TOKEN_FILE,
  type IntroTokenOption,
  type IntroTokenSource,
  readIntroToken,
} from './present.js';
export {
  type CreateIntroTokenOptions,
  createIntroToken,
  DEFAULT_NODE_POOL,
  DEFAULT_REGION,
  type DecodedIntroToken,
  decodeIntroToken,
  INTRO_ALGORITHMS,
  type IntroAlgorithm,
  type IntroClaims,
  type IntroSigningKey,
  introSubject,
  NOMAD_AUDIENCE,
  parseIntroSubject,
} from './token.js';
export { type VerifiedIntroToken, type VerifiedNodeIdentity, type VerifyIntroOptions, verifyIdentity, verifyIntroToken } from './verify.js';

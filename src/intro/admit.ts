/**
 * The servers' gate for a new node (`nomad/node_endpoint.go` `newRegistrationAllowed`), to the
 * letter: `none` lets everyone in silently; a good token whose claims match lets the node in; a
 * token that fails authentication, or an intro token whose claims do not match, is refused at any
 * level; an anonymous node gets in with a WARN under `warn` and is refused under `strict`. Every
 * refusal or warning counts one on Nomad's metric. Stricter by default: see {@link AdmissionPolicy}.
 */
import type { AutojoinError } from '../errors.js';
import type { Logger } from '../log.js';
import { IntroJwksError, IntroTokenError } from './errors.js';
import { type JtiStore, MemoryJtiStore } from './jti.js';
import type { Enforcement } from './policy.js';
import { DEFAULT_NODE_POOL } from './token.js';
import { type VerifiedIntroToken, type VerifiedNodeIdentity, type VerifyIntroOptions, verifyIdentity } from './verify.js';

/**
 * Nomad's counter, as its agent emits it (key `nomad.client.introduction_violation_num` under the
 * agent's `nomad` prefix).
 */
export const INTRO_VIOLATION_METRIC = 'nomad.nomad.client.introduction_violation_num';

/** Where violations are counted (a metrics client, or {@link IntroCounters}). */
export interface ViolationCounter {
  increment(name: string): void;
}

/** A plain in-process counter set. */
export class IntroCounters implements ViolationCounter {
  private readonly counts = new Map<string, number>();
  increment(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  get(name: string = INTRO_VIOLATION_METRIC): number {
    return this.counts.get(name) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}

/** The gate's settings: an enforcement level plus how tokens are verified. */
export interface AdmissionPolicy extends Omit<VerifyIntroOptions, 'replay'> {
  /** `none`, `warn` or `strict` (an {@link IntroPolicy} from validateIntroPolicy fits). */
  enforcement: Enforcement;
  /**
   * Where used `jti`s are remembered so a token admits one node only; `false` accepts a token
   * until it expires, as Nomad does. @default an in-memory store, one per policy object
   */
  replay?: JtiStore | false;
  /** Counts each violation under {@link INTRO_VIOLATION_METRIC}. */
  metrics?: ViolationCounter;
  /** Receives Nomad's log line (`nomad.client: node registration ...`) at its level. */
  logger?: Logger;
}

/** A node asking to register for the first time. */
export interface RegistrationRequest {
  /** The JWT the node presented; none (or empty) is an anonymous registration. */
  token?: string;
  node: {
    id: string;
    name: string;
    /** @default 'default' */
    pool?: string;
  };
}

export type Violation = 'authentication' | 'mismatch' | 'anonymous';

export interface AdmissionDecision {
  allowed: boolean;
  /** The level Nomad logs the decision at; none when it logs nothing. */
  level?: 'warn' | 'error';
  /** Nomad's log message, e.g. `node registration without introduction token`. */
  message?: string;
  /** Nomad's log fields, in its order (`enforcement_level`, `node_id`, ...). */
  fields: Array<[string, string]>;
  /** Why the node did not pass cleanly; undefined for a clean admission. */
  violation?: Violation;
  /** The authentication failure, when there was one. */
  error?: AutojoinError;
  /** What the token proved, when it verified. */
  identity?: VerifiedIntroToken | VerifiedNodeIdentity;
}

export const ADMISSION_MESSAGES = {
  authentication: 'node registration introduction authentication failure',
  anonymous: 'node registration without introduction token',
  mismatch: 'node registration introduction claims mismatch',
} as const;

const defaultStores = new WeakMap<object, JtiStore>();

function replayStore(policy: AdmissionPolicy): JtiStore | undefined {
  if (policy.replay === false) return undefined;
  if (policy.replay) return policy.replay;
  let store = defaultStores.get(policy);
  if (!store) defaultStores.set(policy, (store = new MemoryJtiStore(policy.now ? { now: policy.now } : {})));
  return store;
}

/**
 * Decides whether a node that is not yet registered may register.
 * @example
 * const policy = { enforcement: 'strict', keys: jwks, metrics: counters, logger } as const;
 * const { allowed } = await admitRegistration(policy, { token, node: { id, name: 'gpu-7', pool: 'gpu' } });
 * if (!allowed) throw new Error('Permission denied');
 */
export async function admitRegistration(policy: AdmissionPolicy, request: RegistrationRequest): Promise<AdmissionDecision> {
  if (policy.enforcement === 'none') return { allowed: true, fields: [] };
  const node = { ...request.node, pool: request.node.pool || DEFAULT_NODE_POOL };

  let identity: VerifiedIntroToken | VerifiedNodeIdentity | undefined;
  let authError: AutojoinError | undefined;
  if (request.token) {
    try {
      identity = await verifyIdentity(request.token, { ...policy, replay: undefined });
    } catch (error) {
      if (!(error instanceof IntroTokenError || error instanceof IntroJwksError)) throw error;
      authError = error;
    }
  }
  let claimsMatch = false;
  if (identity?.kind === 'intro') {
    claimsMatch = identity.nodePool === node.pool && (identity.nodeName === '' || identity.nodeName === node.name);
  } else if (identity?.kind === 'node') {
    claimsMatch = identity.nodeId === node.id;
  }
  // Single use (not Nomad's): only a token that would admit is spent, so a mismatch spends nothing.
  if (identity?.kind === 'intro' && claimsMatch) {
    const store = replayStore(policy);
    if (store && !(await store.use(identity.jti, identity.expiresAt))) {
      authError = new IntroTokenError('ERR_INTRO_REPLAYED', `token jti ${identity.jti} was used before`);
      identity = undefined;
    }
  }
  if (authError === undefined && claimsMatch) return { allowed: true, fields: [], identity };

  policy.metrics?.increment(INTRO_VIOLATION_METRIC);
  const fields: Array<[string, string]> = [
    ['enforcement_level', policy.enforcement],
    ['node_id', node.id],
    ['node_pool', node.pool],
    ['node_name', node.name],
  ];
  if (identity?.kind === 'intro') {
    fields.push(['claim_node_pool', identity.nodePool]);
    if (identity.nodeName !== '') fields.push(['claim_node_name', identity.nodeName]);
  } else if (identity?.kind === 'node') {
    const claims = identity.claims;
    fields.push(['claim_node_id', identity.nodeId], ['claim_node_pool', identity.nodePool]);
    fields.push(['claim_node_class', String(claims.nomad_node_class ?? '')], ['claim_node_datacenter', String(claims.nomad_node_datacenter ?? '')]);
  }
  let violation: Violation = 'mismatch';
  if (authError) {
    violation = 'authentication';
    fields.push(['error', authError.message]);
  } else if (!request.token) {
    violation = 'anonymous';
  }
  const base = { message: ADMISSION_MESSAGES[violation], fields, violation, ...(authError ? { error: authError } : {}), ...(identity ? { identity } : {}) };
  // A bad token or an intro token for another node is refused whatever the level.
  const refusedAlways = authError !== undefined || (!claimsMatch && identity?.kind === 'intro');
  const decision: AdmissionDecision =
    !refusedAlways && policy.enforcement === 'warn' ? { allowed: true, level: 'warn', ...base } : { allowed: false, level: 'error', ...base };
  if (policy.logger && decision.level) policy.logger[decision.level](formatAdmission(decision));
  return decision;
}

/** hclog's rendering of a value: quoted when empty or when it holds spaces or quotes. */
function hclogValue(value: string): string {
  return value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}

/**
 * The decision as Nomad's server logs it, without the level:
 * `nomad.client: node registration without introduction token: enforcement_level=warn node_id=... node_pool=default node_name=web-1`
 */
export function formatAdmission(decision: AdmissionDecision): string {
  const fields = decision.fields.map(([key, value]) => `${key}=${hclogValue(value)}`).join(' ');
  return `nomad.client: ${decision.message ?? 'node registration allowed'}${fields ? `: ${fields}` : ''}`;
}

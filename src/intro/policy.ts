/**
 * The servers' `client_introduction` block and the TTL rule for new tokens, as Nomad has them
 * (`nomad/structs/node.go` `NodeIntroductionConfig`, `nomad/structs/acl.go` `IdentityTTL`).
 */
import { parseGoDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { formatGoDuration } from '../join/clock.js';
import type { Logger } from '../log.js';
import { IntroPolicyError } from './errors.js';

/** How servers treat a new node's registration. */
export type Enforcement = 'none' | 'warn' | 'strict';

export const ENFORCEMENT_LEVELS: readonly Enforcement[] = ['none', 'warn', 'strict'];

/** The `server { client_introduction { ... } }` block, as written in a Nomad config. */
export interface IntroPolicyInput {
  /** `none`, `warn` or `strict`. @default 'warn' */
  enforcement?: string;
  /** TTL of a token requested without one: Go duration or milliseconds. @default '5m' */
  default_identity_ttl?: number | string;
  /** Longest TTL a token may get; longer requests are clamped. @default '30m' */
  max_identity_ttl?: number | string;
}

/** A checked policy, TTLs in milliseconds. */
export interface IntroPolicy {
  enforcement: Enforcement;
  defaultIdentityTtlMs: number;
  maxIdentityTtlMs: number;
}

/** Nomad's `DefaultNodeIntroductionConfig()`: warn, 5m, 30m. */
export const DEFAULT_INTRO_POLICY: Readonly<IntroPolicy> = Object.freeze({
  enforcement: 'warn',
  defaultIdentityTtlMs: 5 * 60_000,
  maxIdentityTtlMs: 30 * 60_000,
});

function ttlValue(value: number | string | undefined, name: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : parseGoDuration(value.trim());
  if (ms === undefined || !Number.isFinite(ms)) {
    problems.push(`${name}: invalid duration ${JSON.stringify(value)}`);
    return undefined;
  }
  return ms;
}

/**
 * Checks a `client_introduction` block and fills Nomad's defaults. As Nomad's agent, an empty
 * enforcement and a TTL of 0 or less keep the default; the texts are Nomad's.
 * @example validateIntroPolicy({ enforcement: 'strict', max_identity_ttl: '1h' })
 * @throws IntroPolicyError (`ERR_INTRO_POLICY`) listing every problem
 */
export function validateIntroPolicy(input: IntroPolicyInput = {}): IntroPolicy {
  const problems: string[] = [];
  const defaultTtl = ttlValue(input.default_identity_ttl, 'default_identity_ttl', problems);
  const maxTtl = ttlValue(input.max_identity_ttl, 'max_identity_ttl', problems);
  const policy: IntroPolicy = {
    enforcement: (input.enforcement || DEFAULT_INTRO_POLICY.enforcement) as Enforcement,
    defaultIdentityTtlMs: defaultTtl !== undefined && defaultTtl > 0 ? defaultTtl : DEFAULT_INTRO_POLICY.defaultIdentityTtlMs,
    maxIdentityTtlMs: maxTtl !== undefined && maxTtl > 0 ? maxTtl : DEFAULT_INTRO_POLICY.maxIdentityTtlMs,
  };
  if (!ENFORCEMENT_LEVELS.includes(policy.enforcement)) problems.push(`invalid enforcement ${JSON.stringify(policy.enforcement)}`);
  if (policy.maxIdentityTtlMs < policy.defaultIdentityTtlMs) {
    problems.push('max_identity_ttl must be greater than or equal to default_identity_ttl');
  }
  if (problems.length > 0) throw new IntroPolicyError(problems);
  return policy;
}

/**
 * The TTL a new token gets (Nomad's `IdentityTTL`): 0 or none asked means the default; above the
 * maximum it is clamped, with Nomad's WARN line. A negative TTL is refused (Nomad would sign a
 * token that never expires).
 * @param requested milliseconds or a Go duration
 * @returns milliseconds
 */
export function introTTL(requested: number | string | undefined, policy: IntroPolicy = DEFAULT_INTRO_POLICY, logger?: Logger): number {
  const ms = requested === undefined ? 0 : typeof requested === 'number' ? requested : parseGoDuration(requested.trim());
  if (ms === undefined || !Number.isFinite(ms)) throw new UsageError(`ttl: invalid duration ${JSON.stringify(requested)}`);
  if (ms < 0) throw new UsageError(`ttl: ${JSON.stringify(requested)} is negative (Nomad would sign a token that never expires)`);
  if (ms === 0) return policy.defaultIdentityTtlMs;
  if (ms > policy.maxIdentityTtlMs) {
    logger?.warn(
      `nomad.acl: node introduction identity TTL request exceeds server maximum, using server maximum: requested_ttl=${formatGoDuration(ms)} server_max_ttl=${formatGoDuration(policy.maxIdentityTtlMs)}`,
    );
    return policy.maxIdentityTtlMs;
  }
  return ms;
}

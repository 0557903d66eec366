/**
 * The client side: finding the token to present (Nomad's precedence, `command/agent/command.go`
 * and `agent.go` `readIntroTokenFile`) and keeping the join loop honest about its expiry.
 * Nothing here ever prints the token.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatGoDuration } from '../join/clock.js';
import { type DelayPolicy, nextDelay } from '../join/policy.js';
import type { Logger } from '../log.js';
import { IntroTokenError, IntroTokenExpiredError, IntroTokenUnusableError } from './errors.js';
import { decodeIntroToken } from './token.js';

/** Nomad's variable for the token; `-- COMMAND` gets the token under this name too. */
export const INTRO_TOKEN_ENV = 'NOMAD_CLIENT_INTRO_TOKEN';
/** The file Nomad reads in the client's state directory. */
export const INTRO_TOKEN_FILE = 'intro_token.jwt';

/** Where a client's token can come from, highest precedence first: env, flag, file. */
export interface IntroTokenSource {
  /** The token as given on the command line (Nomad's `-client-intro-token`). */
  token?: string;
  /** Environment to look in. @default process.env */
  env?: Record<string, string | undefined>;
  /** The variable; when set, even empty, it beats `token` (as Nomad). @default 'NOMAD_CLIENT_INTRO_TOKEN' */
  envName?: string;
  /** A folder whose `intro_token.jwt` is read (whitespace-trimmed) when neither gave a token. */
  stateDir?: string;
}

export interface FoundIntroToken {
  token: string;
  /** Where it came from, for messages (never the token itself). */
  source: 'env' | 'flag' | 'file';
}

/**
 * Finds the token with Nomad's precedence: the environment variable (set, even to empty,
 * overrides the flag), then the flag, then `<stateDir>/intro_token.jwt` when still empty.
 * @returns undefined when there is none (an anonymous registration)
 * @throws IntroTokenUnusableError when the file is a directory (Nomad: `intro token file is a directory`) or unreadable
 */
export async function readIntroToken(source: IntroTokenSource): Promise<FoundIntroToken | undefined> {
  const env = source.env ?? process.env;
  const fromEnv = env[source.envName ?? INTRO_TOKEN_ENV];
  let found: FoundIntroToken | undefined;
  if (fromEnv !== undefined) found = { token: fromEnv, source: 'env' };
  else if (source.token !== undefined) found = { token: source.token, source: 'flag' };
  if (found && found.token !== '') return found;
  if (source.stateDir === undefined) return undefined;
  const path = join(source.stateDir, INTRO_TOKEN_FILE);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IntroTokenUnusableError(`failed to stat intro token file: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
  }
  if (isDirectory) throw new IntroTokenUnusableError('intro token file is a directory');
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new IntroTokenUnusableError(`failed to read intro token file: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
  }
  const token = content.trim();
  return token === '' ? undefined : { token, source: 'file' };
}

/** `retryJoin`'s `introToken` option: the token itself, or where to find it. */
export type IntroTokenOption =
  | string
  | (IntroTokenSource & {
      /**
       * How long the join may take before the token should still be valid; a token expiring
       * sooner is warned about. @default the start of the loop's last attempt (`retryMax` > 0),
       * else of its second attempt
       */
      expectJoinWithin?: number;
      /** Also receives the expiry warning (the CLI prints it even without -v). */
      warn?: (message: string) => void;
    });

export interface IntroGuardContext {
  env: Record<string, string | undefined>;
  now: () => number;
  logger: Logger;
  policy: DelayPolicy;
  retryMax: number;
}

/** What the join loop holds while it runs: the token, and a check before each attempt. */
export interface IntroGuard {
  /** The token to hand to `join`. */
  readonly token: string;
  /** When it expires (ms since the epoch); undefined when it has no `exp`. */
  readonly expiresAt: number | undefined;
  /** @throws IntroTokenExpiredError once the token has expired */
  check(attempts: number, lastError?: Error): void;
}

/** When the loop's last attempt (or, retrying forever, its second) starts, at the expected delays. */
function expectedJoinMs(policy: DelayPolicy, retryMax: number): number {
  const retries = retryMax > 0 ? retryMax : 1;
  let total = 0;
  for (let failures = 1; failures <= retries; failures++) total += nextDelay(policy, { failures, throttleStreak: 0, random: 0.5 });
  return total;
}

const when = (ms: number) => new Date(ms).toISOString();

/**
 * Resolves `retryJoin`'s `introToken`: finds the token, refuses one that is not a JWT or has
 * already expired, and warns when it expires before the loop is expected to have joined.
 * @returns undefined when no token was given or found
 * @throws IntroTokenUnusableError (`ERR_INTRO_TOKEN_UNUSABLE`)
 */
export async function prepareIntroToken(option: IntroTokenOption | undefined, context: IntroGuardContext): Promise<IntroGuard | undefined> {
  if (option === undefined) return undefined;
  const found =
    typeof option === 'string'
      ? option.trim() === ''
        ? undefined
        : { token: option.trim(), source: 'option' }
      : await readIntroToken({ env: context.env, ...option });
  if (found === undefined) return undefined;
  let exp: unknown;
  try {
    exp = decodeIntroToken(found.token).claims.exp;
  } catch (error) {
    const reason = error instanceof IntroTokenError ? error.message : 'unreadable';
    throw new IntroTokenUnusableError(`intro token (from ${found.source}): ${reason}`, { cause: error });
  }
  const expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
  const now = context.now();
  if (expiresAt !== undefined && expiresAt <= now) {
    throw new IntroTokenUnusableError(
      `intro token (from ${found.source}) expired at ${when(expiresAt)}, ${formatGoDuration(Math.round((now - expiresAt) / 1000) * 1000)} ago; create a new one`,
    );
  }
  if (expiresAt !== undefined) {
    const expected =
      typeof option === 'object' && option.expectJoinWithin !== undefined ? option.expectJoinWithin : expectedJoinMs(context.policy, context.retryMax);
    if (expiresAt - now < expected) {
      const message = `agent.joiner: intro token expires before the expected join: expires_at=${when(expiresAt)} expires_in=${formatGoDuration(Math.floor((expiresAt - now) / 1000) * 1000)} expected_join=${formatGoDuration(expected)}`;
      context.logger.warn(message);
      if (typeof option === 'object') option.warn?.(message);
    }
  }
  return {
    token: found.token,
    expiresAt,
    check(attempts, lastError) {
      if (expiresAt !== undefined && context.now() >= expiresAt) throw new IntroTokenExpiredError(expiresAt, attempts, lastError);
    },
  };
}

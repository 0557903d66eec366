/**
 * The retry-join loop: discover every entry, hand the addresses to `join`, wait, again.
 *
 * By default the timing is Nomad's (`command/agent/retry_join.go`): a fixed `retryInterval`
 * (30s), `retryMax` 0 = forever, `retryMax + 1` attempts in all, and the same log lines. What
 * differs: entries are discovered concurrently, each under a timeout; the wait is interruptible;
 * host names are re-resolved every attempt with every record used; config errors fail at once;
 * backoff with jitter is opt-in; a throttled provider stretches the next wait; `watch` keeps
 * re-discovering after the first join (Nomad never does: nomad#7420).
 */
import { capRetryAfter } from '../http/retry.js';
import { checkConfig, DEFAULT_TIMEOUT_MS, discover } from '../discover.js';
import { toMs } from '../duration.js';
import type { NodeHttpClient } from '../http/index.js';
import { AbortError, UsageError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { combineAddresses, discoverAll, quote, throttling } from './attempt.js';
import { type Clock, formatGoDuration, sleep, systemClock } from './clock.js';
import { type CheckEntry, type DiscoverAddrs, type PreparedEntry, prepareEntries } from './entries.js';
import { type EntryOutcome, RetryJoinExhaustedError } from './errors.js';
import { type BackoffOptions, type DelayPolicy, nextDelay, resolvePolicy } from './policy.js';
import { type ResolveHost, systemResolveHost } from './resolve.js';
import type { IntroGuard, IntroTokenOption } from '../intro/present.js';

/** What `join` is told besides the addresses. */
export interface JoinInfo {
  /** 1-based attempt number (watch rounds continue the count). */
  attempt: number;
  /** Aborts when the loop is stopped. */
  signal: AbortSignal;
  /** The client introduction token to present, when `introToken` gave one. Never log it. */
  introToken?: string;
}

/** What changed in a watch round whose new address set was joined. */
export interface WatchChange {
  attempt: number;
  /** Addresses in the new set that the last joined set did not have, in discovery order. */
  added: string[];
  /** Addresses of the last joined set that are gone, in their old order. */
  removed: string[];
  /** The whole new set, as handed to `join`. */
  addresses: string[];
  /** What `join` returned for it. */
  joined: number;
}

/**
 * Re-discovery after the first successful join (what Nomad users ask for in nomad#7420).
 *
 * Each round re-discovers every entry. An entry that fails keeps its last good addresses, and a
 * round that finds nothing at all changes nothing: a flaky API never empties the set.
 */
export interface WatchOptions {
  /** How often to re-discover, milliseconds or a Go duration. @default the retry interval (30s under backoff) */
  interval?: number | string;
  /**
   * Called after `join` accepted a changed set. A round whose `join` fails keeps the last joined
   * set and is retried at the next round (the failure is in `onAttempt`'s report).
   * @example
   * watch: { interval: '1m', onChange: ({ added, removed }) => console.log({ added, removed }) }
   */
  onChange?: (change: WatchChange) => void;
}

/** One attempt (or watch round), as `onAttempt` sees it. */
export interface AttemptReport {
  attempt: number;
  phase: 'join' | 'watch';
  /** Normalised, de-duplicated addresses handed to `join` (empty when none were found). */
  addresses: string[];
  /** Each entry's addresses or error, in entry order. */
  entries: EntryOutcome[];
  /** What `join` returned; 0 when it was not called or threw. */
  joined: number;
  /**
   * Watch rounds only: addresses gained and lost against the last joined set. An entry that
   * failed this round counts with its last good addresses, so its failure removes nothing.
   */
  added?: string[];
  removed?: string[];
  /** Why the attempt failed; undefined on success (or a watch round with nothing new). */
  error?: Error;
  /** The wait before the next attempt, when there is one. */
  nextDelayMs?: number;
}

export interface RetryJoinOptions {
  /**
   * `retry_join` entries: go-discover strings (anything containing `provider=`), `exec=` commands,
   * or literal addresses (IPv4, IPv6 bare or bracketed, host names; port optional).
   */
  entries: readonly string[];
  /** Joins the addresses; returns how many it joined. A throw counts as a failed attempt. */
  join: (addresses: string[], info: JoinInfo) => Promise<number> | number;
  /** Wait between attempts, milliseconds or a Go duration. @default '30s' */
  retryInterval?: number | string;
  /** Attempts after the first; 0 = retry forever. @default 0 */
  retryMax?: number;
  /** Port added to addresses without one. No default: without it they stay without a port. */
  defaultPort?: number;
  /** Success is `join(...) >= minJoined`. @default 1 */
  minJoined?: number;
  /** Exponential backoff with jitter instead of the fixed interval; `true` for the defaults. */
  backoff?: BackoffOptions | boolean;
  /** Bound on each entry's discovery (provider call, command, DNS), ms or Go duration. @default '60s' */
  timeout?: number | string;
  /** Keep re-discovering after the first join and call `join` again when the addresses change. */
  watch?: WatchOptions | boolean;
  /** Stops the loop (and any discovery in flight); the promise rejects with AbortError (or resolves, when watching). */
  signal?: AbortSignal;
  /** Nomad's lines (`agent.joiner: starting retry join: ...`). @default silent */
  logger?: Logger;
  onAttempt?: (report: AttemptReport) => void;
  /** @default the system clock */
  clock?: Clock;
  /** Environment for providers and `exec=` commands. @default process.env */
  env?: Record<string, string | undefined>;
  userAgent?: string;
  /** Discovers a go-discover entry. @default the built-in engine's `discover` */
  discoverAddrs?: DiscoverAddrs;
  /** Validates a go-discover entry before the first attempt. @default the built-in engine's `checkConfig` */
  checkEntry?: CheckEntry;
  /** Resolves a host name to all its addresses. @default the system resolver */
  resolveHost?: ResolveHost;
  /** Uniform random numbers in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /**
   * A client introduction token for `join` (in `info.introToken`): the token, or where to find it
   * with Nomad's precedence (env, flag, `<stateDir>/intro_token.jwt`). An expired one fails at
   * once; one expiring before the expected join is warned about; the loop stops with
   * IntroTokenExpiredError when it expires before a join. See docs/intro-tokens.md.
   */
  introToken?: IntroTokenOption;
}

export interface RetryJoinResult {
  /** What the successful `join` returned. */
  joined: number;
  /** The addresses it was given. */
  addresses: string[];
  /** Attempts it took (1 = the first one worked). */
  attempts: number;
  elapsedMs: number;
}

/**
 * The engine, with one HTTP client for the whole loop: keep-alive connections carry over from one
 * attempt (or watch round) to the next instead of a new TCP and TLS handshake each time.
 */
function engineDiscover(env: Record<string, string | undefined>, userAgent: string | undefined, maxAttempts: number | undefined) {
  let client: Promise<NodeHttpClient> | undefined;
  const discoverAddrs: DiscoverAddrs = async (cfg, options) => {
    client ??= import('../http/index.js').then(({ createHttpClient }) => createHttpClient({ env, userAgent }));
    return discover(cfg, { ...options, http: await client, maxAttempts });
  };
  const close = async () => {
    (await client)?.destroy();
  };
  return { discoverAddrs, close };
}

const defaultCheck: CheckEntry = (cfg, options) => checkConfig(cfg, options);

/**
 * Discovers and joins peers, retrying until `join` reports `minJoined` or the attempts run out.
 *
 * @example
 * const { joined } = await retryJoin({
 *   entries: ['provider=aws tag_key=role tag_value=nomad-server', 'exec=/usr/local/bin/peers'],
 *   defaultPort: 4648,
 *   retryMax: 5,
 *   backoff: true,
 *   join: async (addrs) => (await agent.join(addrs)).numJoined,
 * });
 * @throws the engine's config errors, JoinConfigError or InvalidAddressError before the first attempt;
 *   RetryJoinExhaustedError (`ERR_RETRY_JOIN_EXHAUSTED`) when every attempt failed;
 *   AbortError when `signal` aborts (unless watching after a successful join)
 */
export async function retryJoin(options: RetryJoinOptions): Promise<RetryJoinResult> {
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const env = options.env ?? process.env;
  const policy = resolvePolicy(options.retryInterval ?? '30s', options.backoff);
  const retryMax = options.retryMax ?? 0;
  const minJoined = options.minJoined ?? 1;
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(options.timeout, 'timeout');
  if (!Number.isInteger(retryMax) || retryMax < 0) throw new UsageError(`retryMax: ${retryMax} is not an integer >= 0`);
  if (!Number.isInteger(minJoined) || minJoined < 1) throw new UsageError(`minJoined: ${minJoined} is not an integer >= 1`);
  if (options.entries.length === 0) throw new UsageError('retry join: no entries given');
  const port = options.defaultPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`defaultPort: ${port} is not an integer in 0-65535`);
  }
  const watchMs = watchInterval(options.watch, policy.kind === 'fixed' ? policy.intervalMs : 30_000);
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('retry join', { cause: signal.reason });

  const prepared = await prepareEntries(options.entries, options.checkEntry ?? defaultCheck, env);
  const intro =
    options.introToken === undefined
      ? undefined
      : await (await import('../intro/present.js')).prepareIntroToken(options.introToken, { env, now: () => clock.now(), logger: log, policy, retryMax });
  const started = clock.now();
  log.info(`agent.joiner: starting retry join: servers=${quote(prepared.map((p) => p.label).join(' '))}`);

  // Lazy: no HTTP client exists until a go-discover entry runs.
  // With backoff the loop is the retry policy: one attempt per API call, so retries never multiply.
  const engine = engineDiscover(env, options.userAgent, policy.kind === 'backoff' ? 1 : undefined);
  const discoverAddrs = options.discoverAddrs ?? engine.discoverAddrs;
  try {
    return await loop(options, { prepared, clock, random, policy, retryMax, minJoined, timeoutMs, watchMs, started, log, env, discoverAddrs, intro });
  } finally {
    await engine.close();
  }
}

interface LoopState {
  prepared: PreparedEntry[];
  clock: Clock;
  random: () => number;
  policy: DelayPolicy;
  retryMax: number;
  minJoined: number;
  timeoutMs: number;
  watchMs: number | undefined;
  started: number;
  log: Logger;
  env: Record<string, string | undefined>;
  discoverAddrs: DiscoverAddrs;
  intro: IntroGuard | undefined;
}

async function loop(options: RetryJoinOptions, state: LoopState): Promise<RetryJoinResult> {
  const { prepared, clock, random, policy, retryMax, minJoined, timeoutMs, watchMs, started, log, env } = state;
  const signal = options.signal;
  const round = (): Promise<{ addresses: string[]; outcomes: EntryOutcome[] }> =>
    discoverAll(prepared, {
      clock,
      timeoutMs,
      signal,
      log,
      defaultPort: options.defaultPort,
      discoverAddrs: state.discoverAddrs,
      resolveHost: options.resolveHost ?? systemResolveHost,
      env,
      userAgent: options.userAgent,
    });
  const joinSignal = signal ?? new AbortController().signal;
  /** Calls `join`; a throw or too few joined is the attempt's error. */
  const tryJoin = async (addresses: string[], attempt: number): Promise<{ joined: number; error?: Error }> => {
    try {
      const joined = await options.join(addresses, { attempt, signal: joinSignal, ...(state.intro ? { introToken: state.intro.token } : {}) });
      return joined < minJoined ? { joined, error: new Error(`joined ${joined} of the ${minJoined} required`) } : { joined };
    } catch (caught) {
      return { joined: 0, error: caught instanceof Error ? caught : new Error(String(caught)) };
    }
  };

  // Per entry: its addresses the last time it answered, and its most recent error.
  const lastGood: string[][] = prepared.map(() => []);
  const lastErrors: Array<Error | undefined> = prepared.map(() => undefined);
  const remember = (outcomes: readonly EntryOutcome[]) => {
    outcomes.forEach((outcome, i) => {
      if (outcome.error) lastErrors[i] = outcome.error;
      else lastGood[i] = outcome.addresses;
    });
  };

  let attempt = 0;
  let failures = 0;
  let throttleStreak = 0;
  let result: RetryJoinResult | undefined;
  let lastJoinError: Error | undefined;
  while (result === undefined) {
    state.intro?.check(attempt, lastJoinError);
    attempt++;
    const { addresses, outcomes } = await round();
    if (signal?.aborted) throw new AbortError('retry join', { cause: signal.reason });
    remember(outcomes);
    const { joined, error } = addresses.length === 0 ? { joined: 0, error: new Error('no addresses discovered') } : await tryJoin(addresses, attempt);
    if (signal?.aborted) throw new AbortError('retry join', { cause: signal.reason });
    if (error === undefined) {
      log.info(`agent.joiner: retry join completed: initial_servers=${joined}`);
      options.onAttempt?.({ attempt, phase: 'join', addresses, entries: outcomes, joined });
      result = { joined, addresses, attempts: attempt, elapsedMs: clock.now() - started };
      break;
    }
    failures++;
    lastJoinError = error;
    const throttle = throttling(outcomes);
    throttleStreak = throttle.throttled ? throttleStreak + 1 : 0;
    const exhausted = retryMax > 0 && attempt > retryMax;
    const delay = exhausted
      ? undefined
      : nextDelay(policy, {
          failures,
          throttleStreak,
          retryAfterMs: throttle.retryAfterMs === undefined ? undefined : capRetryAfter(throttle.retryAfterMs, log, 'agent.joiner'),
          random: random(),
        });
    options.onAttempt?.({ attempt, phase: 'join', addresses, entries: outcomes, joined, error, nextDelayMs: delay });
    if (delay === undefined) {
      log.warn(`agent.joiner: join failed: error=${quote(error.message)}`);
      log.error('agent.joiner: max join retry exhausted, exiting');
      const withLastErrors = outcomes.map((outcome, i) => {
        const lastError = lastErrors[i];
        return lastError ? { ...outcome, lastError } : outcome;
      });
      throw new RetryJoinExhaustedError(attempt, withLastErrors, error);
    }
    log.warn(`agent.joiner: join failed: error=${quote(error.message)} retry=${formatGoDuration(delay)}`);
    await sleep(clock, delay, signal);
  }

  if (watchMs === undefined) return result;
  // Watching: re-discover on an interval, and join again whenever the address set changes.
  // Only the caller's signal ends it; the promise then resolves with the last successful join.
  let current = result;
  const watchOnChange = typeof options.watch === 'object' ? options.watch.onChange : undefined;
  for (;;) {
    try {
      await sleep(clock, watchMs, signal, 'watch');
    } catch {
      return current;
    }
    attempt++;
    const { outcomes } = await round();
    if (signal?.aborted) return current;
    remember(outcomes);
    const addresses = combineAddresses(lastGood);
    const added = addresses.filter((a) => !current.addresses.includes(a));
    const removed = current.addresses.filter((a) => !addresses.includes(a));
    const report = { attempt, phase: 'watch' as const, addresses, entries: outcomes, added, removed, nextDelayMs: watchMs };
    if (addresses.length === 0 || (added.length === 0 && removed.length === 0)) {
      options.onAttempt?.({ ...report, joined: 0 });
      continue;
    }
    log.info(`agent.joiner: join addresses changed: added=${quote(added.join(' '))} removed=${quote(removed.join(' '))}`);
    const { joined, error } = await tryJoin(addresses, attempt);
    if (signal?.aborted) return current;
    if (error) {
      log.warn(`agent.joiner: join failed: error=${quote(error.message)} retry=${formatGoDuration(watchMs)}`);
    } else {
      log.info(`agent.joiner: retry join completed: initial_servers=${joined}`);
      current = { joined, addresses, attempts: attempt, elapsedMs: clock.now() - started };
    }
    options.onAttempt?.({ ...report, joined, error });
    if (!error) watchOnChange?.({ attempt, added, removed, addresses, joined });
  }
}

function watchInterval(watch: WatchOptions | boolean | undefined, fallbackMs: number): number | undefined {
  if (watch === undefined || watch === false) return undefined;
  const interval = watch === true ? undefined : watch.interval;
  const ms = interval === undefined ? fallbackMs : toMs(interval, 'watch.interval');
  if (ms <= 0) throw new UsageError('watch.interval must be above 0');
  return ms;
}


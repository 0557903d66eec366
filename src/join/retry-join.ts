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
import type { IntroGuard, IntroTokenOption } from '../intro/present.js';
import { checkConfig, DEFAULT_TIMEOUT_MS, type Discover, discover } from '../discover.js';
import { toMs } from '../duration.js';
import type { NodeHttpClient } from '../http/index.js';
import { AbortError, AutojoinError, UsageError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { combineAddresses, discoverAll, quote, throttling } from './attempt.js';
import { type Clock, formatGoDuration, sleep, systemClock } from './clock.js';
import { type CheckEntry, type DiscoverAddrs, type PreparedEntry, prepareEntries } from './entries.js';
import { type EntryOutcome, RetryJoinExhaustedError } from './errors.js';
import { type BackoffOptions, type DelayPolicy, nextDelay, resolvePolicy } from './policy.js';
import { type ResolveHost, systemResolveHost } from './resolve.js';

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
  /**
   * The providers for go-discover entries: a `Discover` with plugins or extra providers.
   * @default the built-in providers
   * @example
   * engine: new Discover({ plugins: ['autojoin-provider-static'] })
   */
  engine?: Pick<Discover, 'check' | 'discover'>;
  /** Unknown keys in go-discover entries are warnings (logged), not errors. @default false */
  lenient?: boolean;
  /** Called as each attempt (or watch round) starts, before its discovery. */
  onAttemptStart?: (attempt: number) => void;
  /** Discovers a go-discover entry, replacing the engine's (a stub in tests). @default `engine.discover` */
  discoverAddrs?: DiscoverAddrs;
  /** Validates a go-discover entry before the first attempt, replacing the engine's. @default `engine.check` */
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
function engineDiscover(options: RetryJoinOptions, env: Record<string, string | undefined>, maxAttempts: number | undefined) {
  const engine = options.engine ?? defaultEngine();
  let client: Promise<NodeHttpClient> | undefined;
  const discoverAddrs: DiscoverAddrs = async (cfg, callOptions) => {
    client ??= import('../http/index.js').then(({ createHttpClient }) => createHttpClient({ env, userAgent: options.userAgent }));
    return engine.discover(cfg, { ...callOptions, lenient: options.lenient, http: await client, maxAttempts });
  };
  const checkEntry: CheckEntry = (cfg, callOptions) => engine.check(cfg, { ...callOptions, lenient: options.lenient });
  const close = async () => {
    (await client)?.destroy();
  };
  return { discoverAddrs, checkEntry, close };
}

const defaultEngine = (): Pick<Discover, 'check' | 'discover'> => ({ check: checkConfig, discover });

const isFunction = (value: unknown): boolean => typeof value === 'function';
const isDuration = (value: unknown): boolean => value === undefined || typeof value === 'number' || typeof value === 'string';

/**
 * The options' types, checked at the call: from plain JavaScript a wrong type would otherwise
 * surface attempts later as a TypeError, or loop forever.
 * @throws UsageError naming the option
 */
function checkOptionTypes(options: RetryJoinOptions): void {
  const bad = (name: string, what: string): never => {
    throw new UsageError(`retryJoin: ${name} must be ${what}`);
  };
  if (options === null || typeof options !== 'object') bad('options', 'an object');
  if (!Array.isArray(options.entries) || options.entries.some((entry) => typeof entry !== 'string')) bad('entries', 'an array of strings');
  if (!isFunction(options.join)) bad('join', 'a function (addresses, info) => number joined');
  for (const name of ['retryInterval', 'timeout'] as const) {
    if (!isDuration(options[name])) bad(name, 'milliseconds or a Go duration string');
  }
  for (const name of ['retryMax', 'minJoined', 'defaultPort'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'number') bad(name, 'a number');
  }
  for (const name of ['onAttempt', 'onAttemptStart', 'discoverAddrs', 'checkEntry', 'resolveHost', 'random'] as const) {
    if (options[name] !== undefined && !isFunction(options[name])) bad(name, 'a function');
  }
  if (options.engine !== undefined && (!isFunction(options.engine?.check) || !isFunction(options.engine?.discover))) {
    bad('engine', 'a Discover instance');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) bad('signal', 'an AbortSignal');
  if (options.env !== undefined && (options.env === null || typeof options.env !== 'object')) bad('env', 'an object');
}

/** The options checked and with their defaults: everything the loop reads. */
function resolveOptions(options: RetryJoinOptions) {
  checkOptionTypes(options);
  const retryMax = options.retryMax ?? 0;
  const minJoined = options.minJoined ?? 1;
  const policy = resolvePolicy(options.retryInterval ?? '30s', options.backoff);
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(options.timeout, 'timeout');
  if (!Number.isInteger(retryMax) || retryMax < 0) throw new UsageError(`retryMax: ${retryMax} is not an integer >= 0`);
  if (!Number.isInteger(minJoined) || minJoined < 1) throw new UsageError(`minJoined: ${minJoined} is not an integer >= 1`);
  if (options.entries.length === 0) throw new UsageError('retry join: no entries given');
  const port = options.defaultPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`defaultPort: ${port} is not an integer in 0-65535`);
  }
  return {
    log: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    env: options.env ?? process.env,
    policy,
    retryMax,
    minJoined,
    timeoutMs,
    watchMs: watchInterval(options.watch, policy.kind === 'fixed' ? policy.intervalMs : 30_000),
  };
}

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
 * @throws UsageError for a bad option (at the call); the engine's config errors, JoinConfigError or
 *   InvalidAddressError before the first attempt; RetryJoinExhaustedError (`ERR_RETRY_JOIN_EXHAUSTED`)
 *   when every attempt failed; AbortError when `signal` aborts (unless watching after a successful join)
 */
export async function retryJoin(options: RetryJoinOptions): Promise<RetryJoinResult> {
  const resolved = resolveOptions(options);
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('retry join', { cause: signal.reason });
  // Lazy: no HTTP client exists until a go-discover entry runs.
  // With backoff the loop is the retry policy: one attempt per API call, so retries never multiply.
  const engine = engineDiscover(options, resolved.env, resolved.policy.kind === 'backoff' ? 1 : undefined);
  try {
    const prepared = await prepareEntries(options.entries, options.checkEntry ?? engine.checkEntry, resolved.env);
    const intro =
      options.introToken === undefined
        ? undefined
        : await (await import('../intro/present.js')).prepareIntroToken(options.introToken, {
            env: resolved.env,
            now: () => resolved.clock.now(),
            logger: resolved.log,
            policy: resolved.policy,
            retryMax: resolved.retryMax,
          });
    const started = resolved.clock.now();
    resolved.log.info(`agent.joiner: starting retry join: servers=${quote(prepared.map((p) => p.label).join(' '))}`);
    const state: LoopState = {
      ...resolved,
      options,
      prepared,
      started,
      discoverAddrs: options.discoverAddrs ?? engine.discoverAddrs,
      attempt: 0,
      memory: new EntryMemory(prepared.length),
      intro,
    };
    const result = await joinPhase(state);
    return state.watchMs === undefined ? result : await watchPhase(state, result);
  } finally {
    await engine.close();
  }
}

interface LoopState {
  options: RetryJoinOptions;
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
  /** Attempts (and watch rounds) so far. */
  attempt: number;
  memory: EntryMemory;
  intro: IntroGuard | undefined;
}

/** One round of discovery over every entry. */
function discoverRound(state: LoopState): Promise<{ addresses: string[]; outcomes: EntryOutcome[] }> {
  state.options.onAttemptStart?.(state.attempt);
  return discoverAll(state.prepared, {
    clock: state.clock,
    timeoutMs: state.timeoutMs,
    signal: state.options.signal,
    log: state.log,
    defaultPort: state.options.defaultPort,
    discoverAddrs: state.discoverAddrs,
    resolveHost: state.options.resolveHost ?? systemResolveHost,
    env: state.env,
    userAgent: state.options.userAgent,
  });
}

/** Errors from `join` that no retry can heal: they end the loop at once. */
const FATAL_JOIN_CODES = new Set(['ERR_JOIN_CONFIG', 'ERR_USAGE']);

/**
 * Calls `join`; a throw or too few joined is the attempt's error.
 * @throws UsageError when `join` returns something other than a number; its config errors
 */
async function tryJoin(state: LoopState, addresses: string[]): Promise<{ joined: number; error?: Error }> {
  let joined: unknown;
  try {
    const signal = state.options.signal ?? new AbortController().signal;
    joined = await state.options.join(addresses, { attempt: state.attempt, signal, ...(state.intro ? { introToken: state.intro.token } : {}) });
  } catch (caught) {
    if (caught instanceof AutojoinError && FATAL_JOIN_CODES.has(caught.code)) throw caught;
    return { joined: 0, error: caught instanceof Error ? caught : new Error(String(caught)) };
  }
  if (typeof joined !== 'number' || !Number.isInteger(joined) || joined < 0) {
    throw new UsageError(`retryJoin: join returned ${typeof joined === 'number' ? joined : typeof joined}; it must return the number of peers joined`);
  }
  return joined < state.minJoined ? { joined, error: new Error(`joined ${joined} of the ${state.minJoined} required`) } : { joined };
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('retry join', { cause: signal.reason });
}

/** Per entry, its addresses the last time it answered and its most recent error. */
class EntryMemory {
  readonly lastGood: string[][];
  readonly lastErrors: Array<Error | undefined>;

  constructor(count: number) {
    this.lastGood = Array.from({ length: count }, () => []);
    this.lastErrors = Array.from({ length: count }, () => undefined);
  }

  remember(outcomes: readonly EntryOutcome[]): void {
    outcomes.forEach((outcome, i) => {
      if (outcome.error) this.lastErrors[i] = outcome.error;
      else this.lastGood[i] = outcome.addresses;
    });
  }

  /** The outcomes with each entry's most recent error of any attempt. */
  withLastErrors(outcomes: readonly EntryOutcome[]): EntryOutcome[] {
    return outcomes.map((outcome, i) => {
      const lastError = this.lastErrors[i];
      return lastError ? { ...outcome, lastError } : outcome;
    });
  }
}

/** Attempts until one joins; throws RetryJoinExhaustedError when they run out. */
async function joinPhase(state: LoopState): Promise<RetryJoinResult> {
  const { options, log, clock } = state;
  const { memory } = state;
  let failures = 0;
  let throttleStreak = 0;
  let lastJoinError: Error | undefined;
  for (;;) {
    state.intro?.check(state.attempt, lastJoinError);
    state.attempt++;
    const { attempt } = state;
    const { addresses, outcomes } = await discoverRound(state);
    checkAborted(options.signal);
    memory.remember(outcomes);
    const { joined, error } = addresses.length === 0 ? { joined: 0, error: new Error('no addresses discovered') } : await tryJoin(state, addresses);
    checkAborted(options.signal);
    if (error === undefined) {
      log.info(`agent.joiner: retry join completed: initial_servers=${joined}`);
      options.onAttempt?.({ attempt, phase: 'join', addresses, entries: outcomes, joined });
      return { joined, addresses, attempts: attempt, elapsedMs: clock.now() - state.started };
    }
    failures++;
    lastJoinError = error;
    const throttle = throttling(outcomes);
    throttleStreak = throttle.throttled ? throttleStreak + 1 : 0;
    const exhausted = state.retryMax > 0 && attempt > state.retryMax;
    const delay = exhausted
      ? undefined
      : nextDelay(state.policy, {
          failures,
          throttleStreak,
          retryAfterMs: throttle.retryAfterMs === undefined ? undefined : capRetryAfter(throttle.retryAfterMs, log, 'agent.joiner'),
          random: state.random(),
        });
    options.onAttempt?.({ attempt, phase: 'join', addresses, entries: outcomes, joined, error, nextDelayMs: delay });
    if (delay === undefined) {
      log.warn(`agent.joiner: join failed: error=${quote(error.message)}`);
      log.error('agent.joiner: max join retry exhausted, exiting');
      throw new RetryJoinExhaustedError(attempt, memory.withLastErrors(outcomes), error);
    }
    log.warn(`agent.joiner: join failed: error=${quote(error.message)} retry=${formatGoDuration(delay)}`);
    await sleep(clock, delay, options.signal);
  }
}

/**
 * Watching: re-discover on an interval, and join again whenever the address set changes.
 * Only the caller's signal ends it; the promise then resolves with the last successful join.
 */
async function watchPhase(state: LoopState, first: RetryJoinResult): Promise<RetryJoinResult> {
  const { options, log, clock } = state;
  const watchMs = state.watchMs as number;
  const { memory } = state;
  const watchOnChange = typeof options.watch === 'object' ? options.watch.onChange : undefined;
  let current = first;
  for (;;) {
    try {
      await sleep(clock, watchMs, options.signal, 'watch');
    } catch {
      return current;
    }
    state.attempt++;
    const { attempt } = state;
    const { outcomes } = await discoverRound(state);
    if (options.signal?.aborted) return current;
    memory.remember(outcomes);
    const addresses = combineAddresses(memory.lastGood);
    const added = addresses.filter((a) => !current.addresses.includes(a));
    const removed = current.addresses.filter((a) => !addresses.includes(a));
    const report = { attempt, phase: 'watch' as const, addresses, entries: outcomes, added, removed, nextDelayMs: watchMs };
    if (addresses.length === 0 || (added.length === 0 && removed.length === 0)) {
      options.onAttempt?.({ ...report, joined: 0 });
      continue;
    }
    log.info(`agent.joiner: join addresses changed: added=${quote(added.join(' '))} removed=${quote(removed.join(' '))}`);
    const { joined, error } = await tryJoin(state, addresses);
    if (options.signal?.aborted) return current;
    if (error) {
      log.warn(`agent.joiner: join failed: error=${quote(error.message)} retry=${formatGoDuration(watchMs)}`);
    } else {
      log.info(`agent.joiner: retry join completed: initial_servers=${joined}`);
      current = { joined, addresses, attempts: attempt, elapsedMs: clock.now() - state.started };
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

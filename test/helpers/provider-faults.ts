/**
 * The fault scenarios every REST provider's tests run against the simulator, written once: a
 * fault that ends in a typed error after so many attempts, one the retries get past, a reset
 * connection and a truncated body, latency past the timeout and an abort, a rate limit, instances
 * that appear later, a real proxy (and NO_PROXY), and the CLI's outputs without the secret.
 * Each takes what differs between providers: the started sim, the API name it counts, the lookup,
 * the expected addresses and the provider's own error text. Each sets the faults it needs, resets
 * the sim's counters first and clears its faults last, so several can run on one sim.
 */
import type { ErrorConstructor, ExecutionContext } from 'ava';
import { runCli } from '../../src/cli/run.js';
import type { Discover } from '../../src/discover.js';
import { AbortError, ProviderError, TimeoutError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import type { FleetInstance } from '../../src/sim/fleet.js';
import type { RunningSim } from '../../src/sim/server.js';
import type { FaultSpec } from '../../src/sim/types.js';
import type { CliResult } from './cli.js';
import { startTinyproxy } from './tinyproxy.js';
import { waitUntil } from './wait.js';
import { escapeRegExp } from './text.js';

export type Env = Record<string, string | undefined>;

/** What a scenario may change about one lookup. */
export interface LookupOptions {
  /** Variables added to the test's environment (HTTP_PROXY, NO_PROXY...). */
  env?: Env;
  /** The call's timeout in milliseconds. */
  timeout?: number;
  signal?: AbortSignal;
  maxAttempts?: number;
}

/** The provider's lookup against the sim (`engine.addrs(cfg(sim), ...)`): the addresses found. */
export type Lookup = (options?: LookupOptions) => Promise<string[]>;

/**
 * `engine.addrs` with the test's `base` variables under each call's own, a 30 s timeout unless
 * given, and a logger where given: the lookup a test file calls, and its FaultTarget's.
 * @example const addrs = engineLookup(engine, { AUTOJOIN_LOOPBACK_ONLY: '1' });
 */
export function engineLookup(engine: Discover, base: Env): (config: string, options?: LookupOptions & { logger?: Logger }) => Promise<string[]> {
  return (config, options = {}) => engine.addrs(config, { timeout: 30_000, ...options, env: { ...base, ...options.env } });
}

/** The provider under test: its running sim, the API name the sim counts its calls under, its lookup. */
export interface FaultTarget {
  sim: RunningSim;
  /** The provider's `API_NAME`: faults are set on it and its requests counted. */
  api: string;
  lookup: Lookup;
  /**
   * What each lookup asks the sim's other APIs (an OpenStack token: `{ 'os-keystone': 1 }`).
   * Where a scenario counts attempts, the sim's counts must be exactly these and the attempts.
   * @default {}
   */
  others?: Record<string, number>;
}

/** What a lookup must return: these addresses in this order, or this many. */
export type Found = string[] | number;

/** The error a fault must end in: ava's expectation and the ProviderError fields to check. */
export interface FailureExpectation {
  instanceOf?: ErrorConstructor;
  code?: string;
  message?: string | RegExp;
  cloudCode?: string;
  status?: number;
  retryAfterMs?: number;
  /** The requests the API saw before the error (4: the first try and three retries). */
  attempts?: number;
}

/** The cause the HTTP stack names for a connection reset before any answer. */
export const RESET_CAUSE = 'ECONNRESET: socket hang up';
/** The cause the HTTP stack names for a body cut short of its Content-Length. */
export const TRUNCATED_CAUSE = 'connection closed before the full body arrived';

function checkFound(t: ExecutionContext, found: string[], expected: Found, what = 'the addresses found'): void {
  if (typeof expected === 'number') t.is(found.length, expected, what);
  else t.deepEqual(found, expected, what);
}

function checkAttempts(t: ExecutionContext, target: FaultTarget, attempts: number): void {
  t.deepEqual(target.sim.counts(), { ...target.others, [target.api]: attempts }, `${attempts} request(s) to ${target.api}`);
}

/**
 * With `fault` on the API (none: `undefined`), the lookup fails as `expected` (type, code, text,
 * the ProviderError's cloudCode, status and retryAfterMs where given) after `expected.attempts`
 * requests, never with a partial list.
 * @example await checkFaultFails(t, target, { auth_reject: true }, { instanceOf: ProviderError, message: /401/, attempts: 1 });
 */
export async function checkFaultFails(
  t: ExecutionContext,
  target: FaultTarget,
  fault: FaultSpec | undefined,
  expected: FailureExpectation,
  options: LookupOptions = {},
): Promise<Error | undefined> {
  const { cloudCode, status, retryAfterMs, attempts, ...throws } = expected;
  target.sim.resetCounts();
  target.sim.setFaults(target.api, fault);
  const error = await t.throwsAsync(target.lookup(options), throws);
  if (cloudCode !== undefined) t.is((error as ProviderError | undefined)?.cloudCode, cloudCode);
  if (status !== undefined) t.is((error as ProviderError | undefined)?.status, status);
  if (retryAfterMs !== undefined) t.is((error as ProviderError | undefined)?.retryAfterMs, retryAfterMs);
  if (attempts !== undefined) checkAttempts(t, target, attempts);
  target.sim.setFaults(target.api, undefined);
  return error;
}

/**
 * A refused credential (`target.lookup` runs a config holding the wrong one): the lookup fails as
 * `expected` after `expected.attempts` requests (default 1: never retried), and none of `secrets`
 * (the wrong value, the right one) is in the error's message or stack.
 */
export async function checkCredentialRefused(
  t: ExecutionContext,
  target: FaultTarget,
  secrets: string[],
  expected: FailureExpectation,
): Promise<Error | undefined> {
  const error = await checkFaultFails(t, target, undefined, { attempts: 1, ...expected });
  for (const secret of secrets) t.false(`${error?.message}\n${error?.stack}`.includes(secret), 'a secret in the error');
  return error;
}

/**
 * With a passing `fault` on the API (an `error_count`), the retries get past it: the lookup finds
 * `found` after `attempts` requests, and (`waitsMs`) no sooner than the wait the error asked for.
 */
export async function checkFaultRecovers(
  t: ExecutionContext,
  target: FaultTarget,
  fault: FaultSpec,
  expected: { found: Found; attempts?: number; waitsMs?: number },
): Promise<void> {
  target.sim.resetCounts();
  target.sim.setFaults(target.api, fault);
  const started = performance.now();
  checkFound(t, await target.lookup(), expected.found);
  // A lower bound only: a busy machine makes the wait longer, never shorter.
  if (expected.waitsMs !== undefined) t.true(performance.now() - started >= expected.waitsMs, `waited at least ${expected.waitsMs} ms, as asked`);
  if (expected.attempts !== undefined) checkAttempts(t, target, expected.attempts);
  target.sim.setFaults(target.api, undefined);
}

/**
 * A reset connection and a truncated body are retried (`attempts` requests each), then reported as
 * a ProviderError whose message starts with `failed` (`discover-<name>: <Operation> failed: `)
 * and names the cause.
 */
export async function checkResetAndTruncated(t: ExecutionContext, target: FaultTarget, failed: string, options: { attempts?: number } = {}): Promise<void> {
  const { attempts = 4 } = options;
  for (const [fault, cause] of [
    [{ reset: true }, RESET_CAUSE],
    [{ truncated: true }, TRUNCATED_CAUSE],
  ] as const) {
    const message = new RegExp(`^${escapeRegExp(failed)}.*${escapeRegExp(cause)}`);
    await checkFaultFails(t, target, fault, { instanceOf: ProviderError, code: 'ERR_PROVIDER', message, attempts });
  }
}

/**
 * Latency past the timeout is the call's TimeoutError naming the provider and that timeout
 * (`discover-<provider> timed out after N ms`); an abort while the request waits at the sim is an
 * AbortError naming the provider. With `below`, latency under the timeout still finds `found`.
 */
export async function checkTimeoutAndAbort(
  t: ExecutionContext,
  target: FaultTarget,
  options: { provider: string; latencyMs?: number; timeoutMs?: number; below?: { latencyMs: number; found: Found } },
): Promise<void> {
  const { provider, latencyMs = 5000, timeoutMs = 300 } = options;
  const { sim, api } = target;
  if (options.below) {
    sim.setFaults(api, { latency_ms: options.below.latencyMs });
    checkFound(t, await target.lookup(), options.below.found, 'the addresses found under the timeout');
  }
  sim.setFaults(api, { latency_ms: latencyMs });
  const timedOut = await t.throwsAsync(target.lookup({ timeout: timeoutMs }), {
    instanceOf: TimeoutError,
    code: 'ERR_TIMEOUT',
    message: `discover-${provider} timed out after ${timeoutMs} ms`,
  });
  t.is(timedOut?.timeoutMs, timeoutMs);
  sim.resetCounts();
  const controller = new AbortController();
  let settled = false;
  const call = target.lookup({ signal: controller.signal }).finally(() => {
    settled = true;
  });
  // Abort once the request is at the sim (counted on arrival, held by the latency): an event, not a sleep.
  await waitUntil(() => settled || (sim.counts()[api] ?? 0) > 0, `a request to ${api}`);
  controller.abort();
  await t.throwsAsync(call, { instanceOf: AbortError, code: 'ERR_ABORTED', message: `discover-${provider} was aborted` });
  sim.setFaults(api, undefined);
}

/**
 * A token-bucket rate limit throttles later pages; the retries still read every one: the lookup
 * finds `found`, and (`throttledPast`) the API saw more requests than that, so some were refused.
 */
export async function checkRateLimit(
  t: ExecutionContext,
  target: FaultTarget,
  options: { rps: number; burst: number; found: Found; throttledPast?: number; timeoutMs?: number },
): Promise<void> {
  target.sim.resetCounts();
  target.sim.setFaults(target.api, { rate_limit: { rps: options.rps, burst: options.burst } });
  checkFound(t, await target.lookup(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }), options.found);
  if (options.throttledPast !== undefined) t.true((target.sim.counts()[target.api] ?? 0) > options.throttledPast, 'some requests were throttled');
  target.sim.setFaults(target.api, undefined);
}

/**
 * `late`, added to the fleet to appear an hour after the sim started (`appear_after_ms`), is not
 * listed before it exists (`before`), and is once it does (`after`): a real match, so the first
 * answer proves something.
 */
export async function checkAppearsLater(
  t: ExecutionContext,
  target: FaultTarget,
  late: FleetInstance,
  expected: { before: Found; after: Found },
): Promise<void> {
  target.sim.updateFleet((fleet) => ({ ...fleet, instances: [...fleet.instances, { ...late, appear_after_ms: 3_600_000 }] }));
  checkFound(t, await target.lookup(), expected.before, 'the addresses before the late instance exists');
  target.sim.updateFleet((fleet) => ({ ...fleet, instances: fleet.instances.map((instance) => ({ ...instance, appear_after_ms: undefined })) }));
  checkFound(t, await target.lookup(), expected.after, 'the addresses once it exists');
}

/**
 * `HTTP_PROXY` (`HTTPS_PROXY` with `https`) carries every request: a real tinyproxy logs only
 * CONNECTs to the sim's port (`requests` of them, where given) and none of `secrets`; with
 * `NO_PROXY=127.0.0.1` the lookup bypasses it. Both lookups find `found`.
 */
export async function checkProxy(
  t: ExecutionContext,
  target: FaultTarget,
  options: { found: Found; secrets: string[]; https?: boolean; requests?: number },
): Promise<void> {
  const proxy = await startTinyproxy(t);
  const variable = options.https ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const port = new URL(options.https ? target.sim.httpsUrl : target.sim.httpUrl).port;
  checkFound(t, await target.lookup({ env: { [variable]: proxy.url } }), options.found);
  const requests = proxy.requests();
  t.true(requests.length > 0 && requests.every((line) => line === `CONNECT 127.0.0.1:${port}`), requests.join('\n'));
  if (options.requests !== undefined) t.is(requests.length, options.requests, requests.join('\n'));
  for (const secret of options.secrets) t.false(proxy.log().includes(secret), 'a secret in the proxy log');
  checkFound(t, await target.lookup({ env: { [variable]: proxy.url, NO_PROXY: '127.0.0.1' } }), options.found, 'the addresses found past NO_PROXY');
  t.is(proxy.requests().length, requests.length, 'NO_PROXY bypassed the proxy');
}

/** Runs the CLI with `argv` and variables added to its environment. */
export type CliRunner = (argv: string[], env?: Env) => Promise<CliResult>;

/** The CLI in this process (`runCli`) with `env` as its whole environment, output kept per stream. */
export function inProcessCli(env: Env): CliRunner {
  return async (argv, extra = {}) => {
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: (text: string) => {
        stdout += text;
      },
      stderr: (text: string) => {
        stderr += text;
      },
    };
    const code = await runCli(argv, { ...io, env: { ...env, ...extra }, signal: new AbortController().signal, isTTY: false, cwd: process.cwd() });
    return { code, stdout, stderr };
  };
}

/** One CLI call: the words after the command, and variables added to the environment. */
export interface CliCall {
  args: string[];
  env?: Env;
}

/**
 * No secret in any output of the CLI: `check` (text, exit 0, showing `shows`, e.g. the masked
 * `api_token=***`), `--format json check` (exit 0), `--format json addrs` (exit 0, listing
 * `addresses`) and `addrs` with a refused credential (exit 1, its error matching `says`).
 */
export async function checkCliHidesSecrets(
  t: ExecutionContext,
  run: CliRunner,
  calls: {
    check?: CliCall & { shows?: string };
    checkJson?: CliCall;
    addrs: CliCall & { addresses: string[] };
    refused: CliCall & { says?: RegExp };
    secrets: string[];
  },
): Promise<void> {
  const outputs: CliResult[] = [];
  if (calls.check) {
    const check = await run(['check', ...calls.check.args], calls.check.env);
    t.is(check.code, 0, check.stderr);
    if (calls.check.shows) t.true(check.stdout.includes(calls.check.shows), check.stdout);
    outputs.push(check);
  }
  if (calls.checkJson) {
    const checkJson = await run(['--format', 'json', 'check', ...calls.checkJson.args], calls.checkJson.env);
    t.is(checkJson.code, 0, checkJson.stderr);
    outputs.push(checkJson);
  }
  const json = await run(['--format', 'json', 'addrs', ...calls.addrs.args], calls.addrs.env);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(
    (JSON.parse(json.stdout) as Array<{ addr: string }>).map((target) => target.addr),
    calls.addrs.addresses,
  );
  const refused = await run(['addrs', ...calls.refused.args], calls.refused.env);
  t.is(refused.code, 1, refused.stderr);
  if (calls.refused.says) t.regex(refused.stderr, calls.refused.says);
  for (const output of [...outputs, json, refused]) {
    for (const secret of calls.secrets) t.false(`${output.stdout}${output.stderr}`.includes(secret), `${output.stdout}${output.stderr}`);
  }
}

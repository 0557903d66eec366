/**
 * One attempt's discovery: every entry at once, each under its own timeout, results combined in
 * entry order (what Nomad's sequential loop builds) and de-duplicated, failures logged with
 * Nomad's text.
 */
import { setMaxListeners } from 'node:events';
import { AbortError, AutojoinError, ProviderError, TimeoutError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from './clock.js';
import { type DiscoverAddrs, entryAddresses, type PreparedEntry } from './entries.js';
import type { EntryOutcome } from './errors.js';
import { execTimeout } from './netaddrs.js';
import type { ResolveHost } from './resolve.js';

export interface RoundContext {
  clock: Clock;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  log: Logger;
  defaultPort: number | undefined;
  discoverAddrs: DiscoverAddrs;
  resolveHost: ResolveHost;
  env: Record<string, string | undefined>;
  userAgent: string | undefined;
}

/**
 * One attempt's discovery: every entry at once, each under its own timeout. The combined list
 * is in entry order, as Nomad's sequential loop builds it, then de-duplicated (first kept).
 */
export async function discoverAll(prepared: readonly PreparedEntry[], ctx: RoundContext): Promise<{ addresses: string[]; outcomes: EntryOutcome[] }> {
  // One listener on the caller's signal per round, not one per entry: eleven entries would
  // otherwise trip Node's MaxListenersExceeded warning on it.
  const round = new AbortController();
  setMaxListeners(0, round.signal);
  const forward = () => round.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) forward();
  ctx.signal?.addEventListener('abort', forward, { once: true });
  let outcomes: EntryOutcome[];
  try {
    outcomes = await Promise.all(prepared.map((entry) => discoverOne(entry, { ...ctx, signal: round.signal })));
  } finally {
    ctx.signal?.removeEventListener('abort', forward);
  }
  for (const outcome of outcomes) {
    if (outcome.error) {
      ctx.log.error(`agent.joiner: discovering join addresses failed: join_config=${quote(outcome.entry)} error=${quote(outcome.error.message)}`);
    } else {
      ctx.log.debug(`agent.joiner: discovered join addresses: join_config=${quote(outcome.entry)} addresses=${quote(outcome.addresses.join(' '))}`);
    }
  }
  const addresses = combineAddresses(outcomes.map((outcome) => outcome.addresses));
  // Nomad stays silent here and leaves operators guessing; say it.
  if (addresses.length === 0) ctx.log.warn('agent.joiner: discovered 0 join addresses');
  return { addresses, outcomes };
}

/** Entry-ordered concatenation, de-duplicated (first kept): what Nomad's sequential loop builds, minus repeats. */
export function combineAddresses(perEntry: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(perEntry.flat())];
}

async function discoverOne(prepared: PreparedEntry, ctx: RoundContext): Promise<EntryOutcome> {
  const controller = new AbortController();
  let timer: unknown;
  let stop: (error: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  const onAbort = () => {
    const error = new AbortError('retry join', { cause: ctx.signal?.reason });
    controller.abort(error);
    stop(error);
  };
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  if (ctx.timeoutMs > 0) {
    timer = ctx.clock.setTimeout(() => {
      const error = new TimeoutError(`discovering ${prepared.label}`, ctx.timeoutMs);
      controller.abort(error);
      stop(error);
    }, ctx.timeoutMs);
  }
  try {
    const work = entryAddresses(prepared, {
      signal: controller.signal,
      timeoutMs: ctx.timeoutMs,
      deadline: ctx.timeoutMs > 0 ? Date.now() + ctx.timeoutMs : undefined,
      defaultPort: ctx.defaultPort,
      discoverAddrs: ctx.discoverAddrs,
      resolveHost: ctx.resolveHost,
      logger: ctx.log,
      env: ctx.env,
      userAgent: ctx.userAgent,
    });
    // The race bounds the entry even when the work ignores its signal.
    const addresses = await Promise.race([work, stopped]);
    work.catch(() => {});
    return { entry: prepared.label, addresses };
  } catch (error) {
    // Our own reason (timeout, stop) beats whatever the work made of the abort; a specific error
    // the work built from it (exec's "executable timed out") beats ours.
    const generic = !(error instanceof AutojoinError) || error instanceof AbortError || error instanceof TimeoutError;
    let reason = controller.signal.aborted && generic ? controller.signal.reason : error;
    if (prepared.kind === 'exec' && reason instanceof TimeoutError) reason = execTimeout(prepared.entry, reason);
    return { entry: prepared.label, addresses: [], error: reason instanceof Error ? reason : new Error(String(reason)) };
  } finally {
    if (timer !== undefined) ctx.clock.clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
    stopped.catch(() => {});
  }
}

export function throttling(outcomes: readonly EntryOutcome[]): { throttled: boolean; retryAfterMs: number | undefined } {
  let throttled = false;
  let retryAfterMs: number | undefined;
  for (const { error } of outcomes) {
    if (!(error instanceof ProviderError) || !error.throttled) continue;
    throttled = true;
    if (error.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, error.retryAfterMs);
  }
  return { throttled, retryAfterMs };
}

/** hclog-style value quoting: `"a b"`, with escapes. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Fault injection for the simulator, per API name. Pure: the server asks {@link FaultBook.decide}
 * what to do with one request and carries it out; time comes from an injectable clock so the
 * token bucket is tested without sleeping.
 */
import type { FaultSpec, SimErrorKind } from './types.js';

/** What the server must do with one request, in the order faults apply. */
export type FaultAction =
  /** Answer normally (after `latencyMs`). */
  | { kind: 'pass' }
  /** Destroy the socket without answering. */
  | { kind: 'reset' }
  /** Answer with the module's `errorResponse(error)`; `status` overrides its status when set (bare 500/503). */
  | { kind: 'error'; error: SimErrorKind; status?: number }
  /** Answer 200 with the module's real body, corrupted. */
  | { kind: 'malformed' }
  /** Declare the full Content-Length, send half the body, then destroy the socket. */
  | { kind: 'truncated' };

export interface FaultDecision {
  /** Milliseconds to wait before carrying out `action` (0 when throttled: the bucket answers at once). */
  latencyMs: number;
  action: FaultAction;
}

interface ApiState {
  /** The spec this state was built for; a new spec object starts afresh (full bucket, error count 0). */
  spec: FaultSpec;
  tokens: number;
  refilledAt: number;
  errorsServed: number;
}

const PASS: FaultDecision = { latencyMs: 0, action: { kind: 'pass' } };

/**
 * The faults in force, per API: the fleet file's `faults`, overlaid by run-time changes.
 * A run-time `null` clears an API's faults even when the fleet file sets some.
 */
export class FaultBook {
  readonly #clock: () => number;
  readonly #overlay = new Map<string, FaultSpec | null>();
  readonly #state = new Map<string, ApiState>();
  #fleetFaults: Record<string, FaultSpec>;

  /**
   * @param fleetFaults `fleet.faults` (keys are SimApi names)
   * @param clock milliseconds, monotonic; @default performance.now
   */
  constructor(fleetFaults: Record<string, FaultSpec> | undefined, clock: () => number = () => performance.now()) {
    this.#fleetFaults = fleetFaults ?? {};
    this.#clock = clock;
  }

  /** A new fleet brings its own `faults`; run-time overrides stay in force. */
  setFleetFaults(fleetFaults: Record<string, FaultSpec> | undefined): void {
    this.#fleetFaults = fleetFaults ?? {};
  }

  /** Run-time change: a spec replaces the API's faults; `undefined`/`null` clears them. */
  set(api: string, spec: FaultSpec | undefined | null): void {
    this.#overlay.set(api, spec ?? null);
    this.#state.delete(api);
  }

  /** The spec in force for `api`, if any. */
  get(api: string): FaultSpec | undefined {
    const override = this.#overlay.get(api);
    if (override !== undefined) return override ?? undefined;
    return this.#fleetFaults[api];
  }

  /** Every API with faults in force. */
  all(): Record<string, FaultSpec> {
    const out: Record<string, FaultSpec> = {};
    const names = new Set([...Object.keys(this.#fleetFaults), ...this.#overlay.keys()]);
    for (const name of names) {
      const spec = this.get(name);
      if (spec) out[name] = spec;
    }
    return out;
  }

  /**
   * Decide the fate of one faultable request to `api`, consuming a token and an error
   * allowance as it goes. Order: rate limit, latency, reset, error/auth, malformed, truncated.
   */
  decide(api: string): FaultDecision {
    const spec = this.get(api);
    if (!spec) return PASS;
    const state = this.#stateFor(api, spec);

    if (spec.rate_limit && !this.#takeToken(state, spec.rate_limit)) {
      return { latencyMs: 0, action: { kind: 'error', error: 'throttle' } };
    }
    const latencyMs = Math.max(0, spec.latency_ms ?? 0);
    if (spec.reset) return { latencyMs, action: { kind: 'reset' } };

    const wantsError = spec.auth_reject === true || spec.error !== undefined;
    const allowance = spec.error_count ?? Number.POSITIVE_INFINITY;
    if (wantsError && state.errorsServed < allowance) {
      state.errorsServed++;
      if (spec.auth_reject) return { latencyMs, action: { kind: 'error', error: 'auth' } };
      return { latencyMs, action: errorAction(spec.error!) };
    }
    if (spec.malformed) return { latencyMs, action: { kind: 'malformed' } };
    if (spec.truncated) return { latencyMs, action: { kind: 'truncated' } };
    return { latencyMs, action: { kind: 'pass' } };
  }

  #stateFor(api: string, spec: FaultSpec): ApiState {
    const existing = this.#state.get(api);
    if (existing && existing.spec === spec) return existing;
    const fresh: ApiState = {
      spec,
      tokens: spec.rate_limit?.burst ?? 0,
      refilledAt: this.#clock(),
      errorsServed: 0,
    };
    this.#state.set(api, fresh);
    return fresh;
  }

  #takeToken(state: ApiState, limit: { rps: number; burst: number }): boolean {
    const now = this.#clock();
    const elapsedSeconds = Math.max(0, now - state.refilledAt) / 1000;
    state.tokens = Math.min(limit.burst, state.tokens + elapsedSeconds * limit.rps);
    state.refilledAt = now;
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return true;
    }
    return false;
  }
}

function errorAction(error: NonNullable<FaultSpec['error']>): FaultAction {
  // A bare status still gets a cloud-shaped body: the nearest kind, with the status forced.
  if (error === 500) return { kind: 'error', error: 'server', status: 500 };
  if (error === 503) return { kind: 'error', error: 'unavailable', status: 503 };
  return { kind: 'error', error };
}

const GARBAGE = Buffer.from('\u0000<<~sim-malformed~>>{"', 'utf8');

/**
 * A syntactically broken copy of a real response body: the first 60% and some garbage, which
 * no JSON or XML parser accepts (an empty body becomes garbage alone).
 */
export function corruptBody(body: Buffer): Buffer {
  return Buffer.concat([body.subarray(0, Math.floor(body.length * 0.6)), GARBAGE]);
}

/** The half of a body a truncated response sends before the socket is destroyed. */
export function truncatedBody(body: Buffer): Buffer {
  return body.subarray(0, Math.floor(body.length / 2));
}

/**
 * The simulator's listeners: one HTTP and one HTTPS server on loopback, routing every request to
 * the first SimApi that claims it, with faults and per-API counters applied on the way. Cloud
 * wire formats live in `providers/<name>/sim.ts`; nothing here names a cloud.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isLoopbackHost } from '../address.js';
import { builtinSimModules } from '../builtins.js';
import { LoopbackOnlyError } from '../errors.js';
import { defaultSimDir, ensureCa, issueServerCert } from './ca.js';
import { requestHandler } from './dispatch.js';
import type { Fleet } from './fleet.js';
import { startListeners } from './listeners.js';
import { SimState } from './state.js';
import type { FaultSpec, SimContext, SimModule } from './types.js';

export interface StartSimOptions {
  /** The estate to serve (see `loadFleet`). */
  fleet: Fleet;
  /** Cloud modules to serve. @default every built-in simulator module of the composition */
  modules?: SimModule[];
  /** @default 0 (a free port) */
  httpPort?: number;
  /** @default 0 (a free port) */
  httpsPort?: number;
  /**
   * Where modules write credential files (the GCE service-account key, federated tokens...).
   * @default a fresh temporary folder, removed on close: two sims started from the same folder
   * never overwrite each other's files
   */
  stateDir?: string;
  /**
   * Where the CA lives: one CA shared by every sim started from the same folder, so a trusting
   * process (NODE_EXTRA_CA_CERTS) keeps working across sim restarts.
   * @default stateDir when given, else the user's state folder ({@link defaultSimDir})
   */
  caDir?: string;
  /** Listen address; only loopback addresses make sense. @default '127.0.0.1' */
  host?: string;
  /** Milliseconds, monotonic: drives `ctx.elapsedMs()` and the rate-limit buckets. @default performance.now */
  clock?: () => number;
  /**
   * The HTTPS listener refuses a TLS handshake without a client certificate signed by the sim's CA
   * (mutual TLS, as Consul's `verify_incoming`). @default false
   */
  requireClientCert?: boolean;
}

/** A started simulator. */
export interface RunningSim {
  /** `http://127.0.0.1:PORT` (also serves the `/_sim/` control endpoint) */
  httpUrl: string;
  /** `https://127.0.0.1:PORT` (certificate signed by the CA at `caPath`) */
  httpsUrl: string;
  caPath: string;
  stateDir: string;
  /** The context modules see. */
  ctx: SimContext;
  /** The modules served, in routing order. */
  modules: readonly SimModule[];
  /** Set (or, with `undefined`, clear) the faults of one API at run time. Throws for an API name no module serves. */
  setFaults(api: string, spec: FaultSpec | undefined): void;
  /** Requests seen per API name, including rejected and faulted ones. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Replace the fleet (run-time fault overrides stay). */
  setFleet(fleet: Fleet): void;
  /** Replace the fleet with `fn(current)`; `fn` may also mutate and return its argument. */
  updateFleet(fn: (fleet: Fleet) => Fleet): void;
  /** Stop listening, drop every connection and pending delay. Idempotent. */
  close(): Promise<void>;
}

/** Start the simulator. Resolves once both listeners accept connections. */
export async function startSim(options: StartSimOptions): Promise<RunningSim> {
  const host = options.host ?? '127.0.0.1';
  // The sim hands out working fake credentials and a control endpoint: never beyond loopback.
  if (!isLoopbackHost(host)) throw new LoopbackOnlyError(host);
  const ownStateDir = options.stateDir === undefined;
  const stateDir = ownStateDir ? await mkdtemp(join(tmpdir(), 'autojoin-sim-')) : resolve(options.stateDir as string);
  await mkdir(stateDir, { recursive: true });
  const modules = options.modules ?? (await loadBuiltinSims());
  const ca = await ensureCa(resolve(options.caDir ?? options.stateDir ?? defaultSimDir()));
  const serverCert = await issueServerCert(ca);
  const state = new SimState(options.fleet, modules, { stateDir, caPath: ca.caPath }, options.clock ?? (() => performance.now()));

  const closing = new AbortController();
  const listeners = await startListeners(
    {
      host,
      httpPort: options.httpPort ?? 0,
      httpsPort: options.httpsPort ?? 0,
      tls: { cert: serverCert.cert, key: serverCert.key, ca: ca.caCert },
      requireClientCert: options.requireClientCert,
    },
    { http: requestHandler(state, 'http', host, closing.signal), https: requestHandler(state, 'https', host, closing.signal) },
  );
  state.urls.http = listeners.httpUrl;
  state.urls.https = listeners.httpsUrl;

  const closeAll = async (): Promise<void> => {
    closing.abort();
    await listeners.close();
    if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
  };
  try {
    for (const m of modules) await m.setup?.(state.ctx);
  } catch (err) {
    await closeAll();
    throw err;
  }
  return runningSim(state, modules, ca.caPath, stateDir, closeAll);
}

function runningSim(state: SimState, modules: readonly SimModule[], caPath: string, stateDir: string, closeAll: () => Promise<void>): RunningSim {
  let closed: Promise<void> | undefined;
  return {
    httpUrl: state.urls.http,
    httpsUrl: state.urls.https,
    caPath,
    stateDir,
    ctx: state.ctx,
    modules,
    setFaults: (api, spec) => {
      const names = state.apis.map((a) => a.name);
      if (!names.includes(api)) throw new Error(`sim: no API named ${api} (known: ${names.join(', ')})`);
      state.faults.set(api, spec);
    },
    counts: () => state.counts(),
    resetCounts: () => state.resetCounts(),
    setFleet: (fleet) => state.setFleet(fleet),
    updateFleet: (fn) => state.setFleet(fn(state.fleet)),
    close: () => {
      closed ??= closeAll();
      return closed;
    },
  };
}

/** Every built-in simulator module of the composition (`src/builtins.ts`), loaded now. */
export async function loadBuiltinSims(): Promise<SimModule[]> {
  return builtinSimModules();
}

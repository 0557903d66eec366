/**
 * The simulator's listeners: one HTTP and one HTTPS server on loopback, routing every request to
 * the first SimApi that claims it, with faults and per-API counters applied on the way. Cloud
 * wire formats live in `providers/<name>/sim.ts`; nothing here names a cloud.
 */
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { formatHostPort, isLoopbackHost } from '../address.js';
import { AutojoinError, LoopbackOnlyError } from '../errors.js';
import { builtinSimModules } from '../builtins.js';
import { defaultSimDir, ensureCa, issueServerCert } from './ca.js';
import { handleControl } from './control.js';
import { FaultBook, type FaultDecision, corruptBody, truncatedBody } from './faults.js';
import { fleetSchema } from './load.js';
import type { Fleet, FleetInstance } from './fleet.js';
import type { FaultSpec, SimApi, SimContext, SimModule, SimRequest, SimResponse } from './types.js';

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

const NO_FAULT: FaultDecision = { latencyMs: 0, action: { kind: 'pass' } };

/** Requests larger than this are refused: no cloud call the providers make comes close. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Start the simulator. Resolves once both listeners accept connections. */
export async function startSim(options: StartSimOptions): Promise<RunningSim> {
  const host = options.host ?? '127.0.0.1';
  // The sim hands out working fake credentials and a control endpoint: never beyond loopback.
  if (!isLoopbackHost(host)) throw new LoopbackOnlyError(host);
  const ownStateDir = options.stateDir === undefined;
  const stateDir = ownStateDir ? await mkdtemp(join(tmpdir(), 'autojoin-sim-')) : resolve(options.stateDir as string);
  const clock = options.clock ?? (() => performance.now());
  const modules = options.modules ?? (await loadBuiltinSims());
  const apis: SimApi[] = modules.flatMap((m) => m.apis);
  assertUniqueNames(apis);

  await mkdir(stateDir, { recursive: true });
  const ca = await ensureCa(resolve(options.caDir ?? options.stateDir ?? defaultSimDir()));
  const serverCert = await issueServerCert(ca);

  let fleet = options.fleet;
  const startedAt = clock();
  const faults = new FaultBook(fleet.faults, clock);
  const counters = new Map<string, number>();
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const urls = { http: '', https: '' };
  const ctx: SimContext = {
    get fleet() {
      return fleet;
    },
    get httpUrl() {
      return urls.http;
    },
    get httpsUrl() {
      return urls.https;
    },
    stateDir,
    caPath: ca.caPath,
    elapsedMs: () => clock() - startedAt,
  };

  const setFleet = (next: Fleet): void => {
    fleet = next;
    faults.setFleetFaults(next.faults);
  };

  const control = {
    ctx,
    apis,
    schema: fleetSchema(modules),
    faults,
    counts: () => Object.fromEntries(counters),
    resetCounts: () => counters.clear(),
    setFleet,
    addInstances(instances: FleetInstance[]) {
      setFleet({ ...fleet, instances: [...fleet.instances, ...instances] });
    },
    removeInstance(id: string): boolean {
      const instances = fleet.instances.filter((i) => i.id !== id);
      if (instances.length === fleet.instances.length) return false;
      setFleet({ ...fleet, instances });
      return true;
    },
  };

  const onRequest = (scheme: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => {
    serve(scheme, req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        sendJson(res, 500, { error: 'sim_internal', message: err instanceof Error ? err.message : String(err) });
      } else {
        res.destroy();
      }
    });
  };

  const serve = async (scheme: 'http' | 'https', req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (body === undefined) {
      sendJson(res, 413, { error: 'sim_body_too_large' });
      return;
    }
    const port = (req.socket.localPort ?? 0).toString();
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? `${host}:${port}`}`),
      headers: req.headers,
      body,
      scheme,
    };

    if (scheme === 'http' && simReq.url.pathname.startsWith('/_sim/')) {
      if (!isLoopbackHost(req.socket.remoteAddress ?? '')) {
        sendJson(res, 403, { error: 'sim_control_loopback_only' });
        return;
      }
      for (const api of apis) {
        const own = await api.control?.(simReq, ctx);
        if (own) return writeResponse(res, own);
      }
      const answer = handleControl(simReq, control);
      writeResponse(res, answer);
      return;
    }

    const api = apis.find((a) => a.match(simReq));
    if (!api) {
      sendJson(res, 404, { error: 'sim_no_api', message: `no simulated API serves ${simReq.method} ${simReq.url.pathname}` });
      return;
    }
    counters.set(api.name, (counters.get(api.name) ?? 0) + 1);

    const decision = api.faultable?.(simReq) === false ? NO_FAULT : faults.decide(api.name);
    if (decision.latencyMs) {
      await delay(decision.latencyMs, closing.signal);
      // close() cut the wait short: the connection is gone, answer nothing.
      if (closing.signal.aborted) {
        res.destroy();
        return;
      }
    }
    const action = decision.action;
    switch (action.kind) {
      case 'pass':
        writeResponse(res, await api.handle(simReq, ctx));
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'error': {
        const answer = api.errorResponse(action.error, simReq, ctx);
        writeResponse(res, action.status ? { ...answer, status: action.status } : answer);
        return;
      }
      case 'malformed': {
        const real = await api.handle(simReq, ctx);
        writeResponse(res, { ...real, status: 200, body: corruptBody(toBuffer(real.body)) });
        return;
      }
      case 'truncated': {
        const real = await api.handle(simReq, ctx);
        const full = toBuffer(real.body);
        res.writeHead(real.status, headersFor(real, full.length));
        res.write(truncatedBody(full), () => res.destroy());
        return;
      }
    }
  };

  const httpServer = createServer({ keepAlive: true }, onRequest('http'));
  const clientAuth = options.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: ca.caCert } : {};
  const httpsServer = createHttpsServer({ cert: serverCert.cert, key: serverCert.key, keepAlive: true, ...clientAuth }, onRequest('https'));
  for (const server of [httpServer, httpsServer]) {
    // Clients keep connections for a while between polls; the default 5 s drops them mid-benchmark.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('secureConnection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
  }

  await listen(httpServer, options.httpPort ?? 0, host);
  try {
    await listen(httpsServer, options.httpsPort ?? 0, host);
  } catch (err) {
    httpServer.close();
    throw err;
  }
  urls.http = `http://${formatHostPort(host, (httpServer.address() as AddressInfo).port)}`;
  urls.https = `https://${formatHostPort(host, (httpsServer.address() as AddressInfo).port)}`;

  try {
    for (const m of modules) await m.setup?.(ctx);
  } catch (err) {
    await closeServers();
    throw err;
  }

  let closed: Promise<void> | undefined;
  async function closeServers(): Promise<void> {
    closing.abort();
    const done = Promise.all([httpServer, httpsServer].map((s) => (s.listening ? once(s, 'close') : undefined)));
    httpServer.close();
    httpsServer.close();
    httpServer.closeAllConnections();
    httpsServer.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await done;
    if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
  }

  return {
    httpUrl: urls.http,
    httpsUrl: urls.https,
    caPath: ca.caPath,
    stateDir,
    ctx,
    modules,
    setFaults: (api, spec) => {
      if (!apis.some((a) => a.name === api)) throw new Error(`sim: no API named ${api} (known: ${apis.map((a) => a.name).join(', ')})`);
      faults.set(api, spec);
    },
    counts: control.counts,
    resetCounts: control.resetCounts,
    setFleet,
    updateFleet: (fn) => setFleet(fn(fleet)),
    close: () => {
      closed ??= closeServers();
      return closed;
    },
  };
}

/** Every built-in simulator module of the composition (`src/builtins.ts`), loaded now. */
export async function loadBuiltinSims(): Promise<SimModule[]> {
  return builtinSimModules();
}

function assertUniqueNames(apis: SimApi[]): void {
  const seen = new Set<string>();
  for (const api of apis) {
    if (seen.has(api.name)) throw new Error(`sim: two APIs are named ${api.name}`);
    seen.add(api.name);
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const message = `sim: cannot listen on ${formatHostPort(host, port)}: ${err.code ?? err.message}`;
      reject(new AutojoinError('ERR_SIM_LISTEN', message, { cause: err }));
    };
    server.once('error', fail);
    // Benchmarks open thousands of connections at once; node's default backlog of 511 drops some.
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', fail);
      resolveListen();
    });
  });
}

/** The whole request body, or undefined past {@link MAX_BODY_BYTES}. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function toBuffer(body: SimResponse['body']): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function writeResponse(res: ServerResponse, answer: SimResponse): void {
  if (res.destroyed) return;
  const body = toBuffer(answer.body);
  res.writeHead(answer.status, headersFor(answer, body.length));
  res.end(body);
}

/** The module's headers with Content-Length set by the sim (a module's own value may be stale). */
function headersFor(answer: SimResponse, length: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(answer.headers ?? {})) {
    if (key.toLowerCase() !== 'content-length') headers[key] = value;
  }
  headers['content-length'] = String(length);
  return headers;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  writeResponse(res, { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveDelay) => {
    if (signal.aborted) return resolveDelay();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveDelay();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

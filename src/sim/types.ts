/**
 * The simulator's contract with the per-cloud APIs in `providers/<name>/sim.ts`.
 * The core (src/sim/) owns listeners, routing, faults, counters and the CA; each cloud
 * module owns its wire format and its error bodies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Fleet, FleetModuleSpec } from './fleet.js';

export interface SimRequest {
  method: string;
  /** Absolute URL as the sim saw it (scheme of the listener, host header). */
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** 'http' or 'https': which listener took the request. */
  scheme: 'http' | 'https';
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** The fault kinds a cloud module must render in its own wire format. */
export type SimErrorKind = 'throttle' | 'server' | 'unavailable' | 'auth';

export interface SimContext {
  /** The current fleet (it can change at run time through the control endpoint). */
  readonly fleet: Fleet;
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
  /** `https://127.0.0.1:PORT` (certificate signed by the sim's CA) */
  readonly httpsUrl: string;
  /** Folder where the sim writes its CA certificate and credential files. */
  readonly stateDir: string;
  /** Path of the CA certificate (PEM) for NODE_EXTRA_CA_CERTS. */
  readonly caPath: string;
  /** Milliseconds since the sim started (instances with `appear_after_ms` use it). */
  elapsedMs(): number;
}

export interface SimApi {
  /** Unique API name, also the key for faults and counters, e.g. `aws-ec2`, `azure-arm`, `gce-compute`. */
  name: string;
  /** What it serves, for docs/sim.md, e.g. `EC2 Query API (DescribeInstances)`. */
  summary?: string;
  /** Whether this API serves the request (first match wins, in registration order). */
  match(req: SimRequest): boolean;
  /** Whether this request is a data-plane call that faults apply to (token and metadata calls may opt out). */
  faultable?(req: SimRequest): boolean;
  handle(req: SimRequest, ctx: SimContext): Promise<SimResponse> | SimResponse;
  /** The cloud's real error response for a fault or a refused credential. */
  errorResponse(kind: SimErrorKind, req: SimRequest, ctx: SimContext): SimResponse;
  /** Answers this API's own `/_sim/...` control routes (state it keeps); undefined for any other. */
  control?(req: SimRequest, ctx: SimContext): Promise<SimResponse | undefined> | SimResponse | undefined;
}

/** What `discover sim` prints for one provider: a config string and the env to paste. */
export interface SimPaste {
  provider: string;
  /** A working config string, with `endpoint=` pointing at the sim. Secrets included (it is the sim's own fleet). */
  config: string;
  /** Environment variables that point token, metadata and CA lookups at the sim. */
  env: Record<string, string>;
}

/** A cloud module: `providers/<name>/sim.ts` default-exports one. */
export interface SimModule {
  /** The provider this module serves. */
  provider: string;
  apis: SimApi[];
  /** The fleet fields, credential block and demo slice of this module's cloud. */
  fleet?: FleetModuleSpec;
  /** How a client is pointed at this module, for docs/sim.md's table (Markdown, one cell each). */
  connect?: { config: string; env: string; why: string };
  /** Called once at start (write credential files, keys...). */
  setup?(ctx: SimContext): Promise<void> | void;
  /** What to print for this provider; undefined when the fleet has nothing for it. */
  paste?(ctx: SimContext): SimPaste | undefined;
}

/** Faults for one API (keys of `Fleet.faults` are SimApi names). */
export interface FaultSpec {
  /** Added latency per request, milliseconds. */
  latency_ms?: number;
  /** Answer every matching request with this error kind (or a bare status). */
  error?: SimErrorKind | 500 | 503;
  /** Answer only this many requests with `error`, then recover (default: all). */
  error_count?: number;
  /** Reject credentials (the cloud's real auth error). */
  auth_reject?: boolean;
  /** Send a syntactically broken body with status 200. */
  malformed?: boolean;
  /** Send a 200 body cut in half (Content-Length says more). */
  truncated?: boolean;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Token bucket: requests per second and burst; past it, the `throttle` error. */
  rate_limit?: { rps: number; burst: number };
}

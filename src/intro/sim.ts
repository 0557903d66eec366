/**
 * The simulator's Nomad introduction surface, self-contained: a module for `discover sim`,
 * active when the fleet file has an `intro:` block.
 *
 * - `GET /.well-known/jwks.json`: the public keys, as a Nomad server publishes them.
 * - `PUT|POST /v1/acl/identity/client-introduction-token`: mint a token (Nomad's HTTP API: body
 *   `{"TTL","NodeName","NodePool"}`, reply `{"JWT"}`; with `acl_token` set, `X-Nomad-Token` must match).
 * - `PUT|POST /v1/node/register`: the sim's stand-in for Nomad's `Node.Register` RPC (which is
 *   msgpack, not HTTP): body `{"Node":{"ID","Name","NodePool"}}`, the token in `X-Nomad-Token`;
 *   admitted by {@link admitRegistration} at the fleet's enforcement level, else 403 `Permission denied`.
 * - `GET /v1/metrics`: Nomad's metrics shape with the violation counter.
 * - Control: `GET /_sim/intro` (enforcement, violations, Nomad's log lines, the key file, the JWKS
 *   URL) and `DELETE /_sim/intro` (reset).
 *
 * Fleet block (every field optional):
 * ```yaml
 * intro:
 *   enforcement: strict        # none | warn | strict (default warn, as Nomad)
 *   default_identity_ttl: 5m
 *   max_identity_ttl: 30m
 *   region: global
 *   alg: EdDSA                 # or RS256
 *   acl_token: s3cret          # required on the mint call when set
 *   single_use: true           # refuse a replayed jti (default true; Nomad: false)
 * ```
 * The signing key is made at first use and written to `<stateDir>/intro-key.jwk`, like the other
 * modules' credential files, so a test can sign tokens Nomad would never hand out (expired ones).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { FleetError } from '../sim/load.js';
import type { SimApi, SimContext, SimErrorKind, SimModule, SimRequest, SimResponse } from '../sim/types.js';
import { didYouMean } from '../suggest.js';
import type { IntroCounters } from './admit.js';
import { IntroPolicyError } from './errors.js';
import type { JtiStore } from './jti.js';
import { type IntroPolicy, validateIntroPolicy } from './policy.js';
import type { IntroAlgorithm } from './token.js';

/** The fleet file's `intro:` block, checked. */
export interface IntroFleet {
  policy: IntroPolicy;
  region: string;
  alg: IntroAlgorithm;
  aclToken?: string;
  singleUse: boolean;
}

const FIELDS = ['enforcement', 'default_identity_ttl', 'max_identity_ttl', 'region', 'alg', 'acl_token', 'single_use'];

/**
 * Checks a fleet's `intro:` block.
 * @returns undefined when the fleet has none
 * @throws FleetError (`ERR_FLEET`) naming every field at fault
 */
export function readIntroFleet(fleet: object): IntroFleet | undefined {
  const raw = (fleet as { intro?: unknown }).intro;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FleetError(['intro: expected a mapping']);
  const block = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(block)) if (!FIELDS.includes(key)) problems.push(`intro.${key}: unknown field${didYouMean(key, FIELDS)}`);
  const text = (key: string): string | undefined => {
    const value = block[key];
    if (value === undefined || typeof value === 'string') return value;
    problems.push(`intro.${key}: expected a string, got ${JSON.stringify(value)}`);
    return undefined;
  };
  const enforcement = text('enforcement');
  const defaultTtl = text('default_identity_ttl');
  const maxTtl = text('max_identity_ttl');
  let policy: IntroPolicy | undefined;
  try {
    policy = validateIntroPolicy({ enforcement, default_identity_ttl: defaultTtl, max_identity_ttl: maxTtl });
  } catch (error) {
    if (!(error instanceof IntroPolicyError)) throw error;
    problems.push(...error.problems.map((p) => `intro: ${p}`));
  }
  const alg = text('alg') ?? 'EdDSA';
  if (alg !== 'EdDSA' && alg !== 'RS256') problems.push(`intro.alg: ${JSON.stringify(alg)} is not one of "EdDSA", "RS256"`);
  const singleUse = block.single_use ?? true;
  if (typeof singleUse !== 'boolean') problems.push(`intro.single_use: expected true or false, got ${JSON.stringify(singleUse)}`);
  const region = text('region') ?? 'global';
  const aclToken = text('acl_token');
  if (problems.length > 0 || policy === undefined) throw new FleetError(problems);
  return { policy, region, alg: alg as IntroAlgorithm, singleUse: singleUse as boolean, ...(aclToken ? { aclToken } : {}) };
}

/**
 * The `intro:` block as a fleet block spec (`{ help, check }`), for a simulator core where modules
 * declare the top-level blocks they own (`fleet: { blocks: { intro: introFleetBlock } }`): `check`
 * records every problem on the checker and returns the block unchanged when it is valid.
 */
export const introFleetBlock = {
  help: "Nomad's client introduction side: `enforcement`, `default_identity_ttl`, `max_identity_ttl`, `region`, `alg`, `acl_token`, `single_use` (docs/intro-tokens.md).",
  check(value: unknown, _where: string, checker: { problems: string[] }): unknown {
    try {
      readIntroFleet({ intro: value });
      return value;
    } catch (error) {
      if (!(error instanceof FleetError)) throw error;
      checker.problems.push(...error.problems);
      return undefined;
    }
  },
};

/** One sim's intro state: its key, counters, log and registered nodes. */
interface IntroState {
  privateJwk: JWK;
  jwks: { keys: JWK[] };
  keyFile: string;
  counters: IntroCounters;
  lines: string[];
  replay: JtiStore;
  registered: Map<string, { name: string; pool: string }>;
}

const states = new WeakMap<SimContext, Promise<IntroState>>();

function state(ctx: SimContext, intro: IntroFleet): Promise<IntroState> {
  let existing = states.get(ctx);
  if (!existing) {
    existing = (async () => {
      const [{ generateIntroKey }, { IntroCounters }, { MemoryJtiStore }] = await Promise.all([import('./keys.js'), import('./admit.js'), import('./jti.js')]);
      const pair = await generateIntroKey({ alg: intro.alg });
      const keyFile = join(ctx.stateDir, 'intro-key.jwk');
      await writeFile(keyFile, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, { mode: 0o600 });
      return {
        privateJwk: pair.privateJwk,
        jwks: pair.jwks,
        keyFile,
        counters: new IntroCounters(),
        lines: [],
        replay: new MemoryJtiStore(),
        registered: new Map(),
      };
    })();
    states.set(ctx, existing);
  }
  return existing;
}

const json = (status: number, value: unknown): SimResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});
// Nomad's HTTP API answers errors as plain text.
const text = (status: number, body: string): SimResponse => ({ status, headers: { 'content-type': 'text/plain' }, body });

const ROUTES = ['/.well-known/jwks.json', '/v1/acl/identity/client-introduction-token', '/v1/node/register', '/v1/metrics'];

function body(req: SimRequest): Record<string, unknown> | undefined {
  if (req.body.length === 0) return {};
  try {
    const value = JSON.parse(req.body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function mint(req: SimRequest, ctx: SimContext, intro: IntroFleet): Promise<SimResponse> {
  if (intro.aclToken !== undefined && req.headers['x-nomad-token'] !== intro.aclToken) return text(403, 'Permission denied');
  const args = body(req);
  if (!args) return text(400, 'Invalid request body');
  // api.ACLIdentityClientIntroductionTokenRequest: TTL as a Go duration string or nanoseconds.
  let ttl: number | string = 0;
  if (typeof args.TTL === 'string') ttl = args.TTL;
  else if (typeof args.TTL === 'number') ttl = args.TTL / 1e6;
  else if (args.TTL !== undefined && args.TTL !== null) return text(400, 'unexpected TTL type');
  const { createIntroToken } = await import('./token.js');
  const current = await state(ctx, intro);
  const logger = { debug() {}, info() {}, warn: (line: string) => current.lines.push(`[WARN] ${line}`), error() {} };
  try {
    const jwt = await createIntroToken({
      key: current.privateJwk,
      policy: intro.policy,
      region: intro.region,
      ttl,
      logger,
      nodePool: typeof args.NodePool === 'string' ? args.NodePool : '',
      nodeName: typeof args.NodeName === 'string' ? args.NodeName : '',
    });
    return json(200, { JWT: jwt });
  } catch (error) {
    return text(400, (error as Error).message);
  }
}

async function register(req: SimRequest, ctx: SimContext, intro: IntroFleet): Promise<SimResponse> {
  const args = body(req);
  const node = args?.Node as { ID?: unknown; Name?: unknown; NodePool?: unknown } | undefined;
  if (!node || typeof node.ID !== 'string' || node.ID === '' || typeof node.Name !== 'string') {
    return text(400, 'missing node for client registration');
  }
  const current = await state(ctx, intro);
  const pool = typeof node.NodePool === 'string' && node.NodePool !== '' ? node.NodePool : 'default';
  // As Nomad: a node already in state is not introduced again.
  if (current.registered.has(node.ID)) return json(200, { NodeID: node.ID, Registered: 'existing' });
  const { admitRegistration, formatAdmission } = await import('./admit.js');
  const header = req.headers['x-nomad-token'];
  const token = typeof header === 'string' && header !== '' ? header : undefined;
  const decision = await admitRegistration(
    {
      enforcement: intro.policy.enforcement,
      keys: current.jwks,
      region: intro.region,
      replay: intro.singleUse ? current.replay : false,
      metrics: current.counters,
    },
    { ...(token ? { token } : {}), node: { id: node.ID, name: node.Name, pool } },
  );
  if (decision.level) current.lines.push(`[${decision.level.toUpperCase()}] ${formatAdmission(decision)}`);
  if (!decision.allowed) return text(403, 'Permission denied');
  current.registered.set(node.ID, { name: node.Name, pool });
  return json(200, { NodeID: node.ID, Registered: 'new', ...(decision.level === 'warn' ? { Warning: decision.message } : {}) });
}

async function metrics(ctx: SimContext, intro: IntroFleet): Promise<SimResponse> {
  const { INTRO_VIOLATION_METRIC } = await import('./admit.js');
  const count = (await state(ctx, intro)).counters.get(INTRO_VIOLATION_METRIC);
  // Nomad's /v1/metrics (go-metrics' in-memory sink summary).
  return json(200, {
    Timestamp: new Date().toISOString(),
    Gauges: [],
    Points: [],
    Counters: count === 0 ? [] : [{ Name: INTRO_VIOLATION_METRIC, Count: count, Rate: 0, Sum: count, Min: 1, Max: 1, Mean: 1, Stddev: 0, Labels: {} }],
    Samples: [],
  });
}

/** The fleet's block, checked once per fleet object (the fleet can change at run time). */
const checked = new WeakMap<object, IntroFleet | undefined>();
function introOf(ctx: SimContext): IntroFleet | undefined {
  if (!checked.has(ctx.fleet)) checked.set(ctx.fleet, readIntroFleet(ctx.fleet));
  return checked.get(ctx.fleet);
}

const api: SimApi = {
  name: 'nomad-intro',
  summary: "Nomad's JWKS, client-introduction token API and registration, from the fleet's `intro` block",
  match: (req) => req.scheme === 'http' && ROUTES.includes(req.url.pathname),
  async handle(req, ctx) {
    const intro = introOf(ctx);
    if (!intro) return text(404, 'Invalid URI (the fleet has no intro: block)');
    const path = req.url.pathname;
    const write = req.method === 'PUT' || req.method === 'POST';
    if (path === '/.well-known/jwks.json' && req.method === 'GET') return json(200, (await state(ctx, intro)).jwks);
    if (path === '/v1/acl/identity/client-introduction-token' && write) return mint(req, ctx, intro);
    if (path === '/v1/node/register' && write) return register(req, ctx, intro);
    if (path === '/v1/metrics' && req.method === 'GET') return metrics(ctx, intro);
    return text(405, 'Invalid method');
  },
  errorResponse(kind: SimErrorKind): SimResponse {
    if (kind === 'throttle') return text(429, 'Too Many Requests');
    if (kind === 'auth') return text(403, 'Permission denied');
    if (kind === 'unavailable') return text(503, 'No cluster leader');
    return text(500, 'Internal Server Error');
  },
  async control(req, ctx) {
    if (req.url.pathname !== '/_sim/intro') return undefined;
    const intro = introOf(ctx);
    if (!intro) return json(404, { error: 'sim_no_intro', message: 'the fleet has no intro: block' });
    const current = await state(ctx, intro);
    const { INTRO_VIOLATION_METRIC } = await import('./admit.js');
    const snapshot = {
      enforcement: intro.policy.enforcement,
      violations: { [INTRO_VIOLATION_METRIC]: current.counters.get(INTRO_VIOLATION_METRIC) },
      log: [...current.lines],
      registered: [...current.registered].map(([id, node]) => ({ id, ...node })),
      jwks_url: `${ctx.httpUrl}/.well-known/jwks.json`,
      key_file: current.keyFile,
    };
    if (req.method === 'GET') return json(200, snapshot);
    if (req.method === 'DELETE') {
      const { IntroCounters } = await import('./admit.js');
      current.counters = new IntroCounters();
      current.lines.length = 0;
      current.registered.clear();
      return json(200, snapshot);
    }
    return json(405, { error: 'sim_method', message: 'GET or DELETE /_sim/intro' });
  },
};

/** `discover sim`'s intro module: part of the engine, served beside every composition's modules (src/builtins.ts). */
const introSim: SimModule = {
  provider: 'intro',
  apis: [api],
  fleet: {
    cloud: false,
    summary: 'No instances: the `intro` block (below) sets the Nomad server the sim plays for client introduction.',
    blocks: { intro: introFleetBlock },
  },
  setup(ctx) {
    // A bad block fails the start (exit 2), as a bad fleet does.
    introOf(ctx);
  },
};

export default introSim;

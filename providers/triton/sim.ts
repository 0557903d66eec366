/**
 * Triton CloudAPI `ListMachines` as the simulator serves it (provider-apis.md §10):
 * `GET /:account/machines?tag.K=V&state=&limit=&offset=`, the HTTP Signature over `date` verified
 * with the account's public key (rsa-sha1/256/512, ed25519-sha512), a `date` more than 300 s off
 * refused, `limit` default and max 1000 (or the fleet's smaller `page_size['triton-cloudapi']`),
 * `x-resource-count`/`x-query-limit` headers, restify's JSON errors.
 */
import { generateKeyPairSync, verify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fleetCredentials,
  formatConfig,
  pasteExample,
  type FleetInstance,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  visibleInstances,
} from '../../src/kit/index.js';
import { blobFromAuthorizedKey, blobFromKey, blobType, fingerprintMatches, md5Fingerprint, publicKeyFromBlob } from './keys.js';
import { tritonFleet } from './sim-fleet.js';

export const API_NAME = 'triton-cloudapi';
const MAX_LIMIT = 1000;
/** Allowed skew of the `date` header (restify http-signature's default clock skew). */
export const MAX_SKEW_S = 300;

interface TritonCredentials {
  account?: string;
  public_key?: string;
}

/** Keys the sim made for fleets without a `public_key`, by state folder. */
const generated = new Map<string, { blob: Buffer; file: string }>();

export function restError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ code, message }) };
}

/**
 * CloudAPI's own texts (sdc-cloudapi lib/auth.js): an unknown key and a signature that does not verify
 * both answer INVALID_CREDS, so a caller learns nothing about which part was wrong.
 */
const INVALID_CREDS = 'Invalid authorization credentials supplied';

const ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [429, 'RequestThrottled', 'You have exceeded your request rate of 10 r/s.'],
  server: [500, 'InternalError', 'Internal error'],
  unavailable: [503, 'ServiceUnavailableError', 'Service Unavailable'],
  auth: [401, 'InvalidCredentials', INVALID_CREDS],
};

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function accountKey(ctx: SimContext, creds: TritonCredentials | undefined): Buffer | undefined {
  if (creds?.public_key) return blobFromAuthorizedKey(creds.public_key);
  return generated.get(ctx.stateDir)?.blob;
}

const HASHES: Record<string, string | null> = { 'rsa-sha1': 'sha1', 'rsa-sha256': 'sha256', 'rsa-sha512': 'sha512', 'ed25519-sha512': null };

/** The checks CloudAPI makes; undefined when the request passes. */
export function authProblem(
  req: SimRequest,
  account: string,
  creds: TritonCredentials | undefined,
  key: Buffer | undefined,
  nowMs = Date.now(),
): SimResponse | undefined {
  const auth = header(req, 'authorization') ?? '';
  const m = /^Signature keyId="([^"]+)",algorithm="([^"]+)",(?:headers="([^"]*)",)?signature="([^"]+)"$/.exec(auth.trim());
  if (!m) return restError(401, 'InvalidCredentials', 'Authorization header required: Signature keyId="...",algorithm="...",signature="..."');
  const [, keyId, algorithm, headers, signature] = m as unknown as [string, string, string, string | undefined, string];
  if ((headers ?? 'date').toLowerCase() !== 'date') return restError(401, 'InvalidCredentials', 'only the date header may be signed here');
  const date = header(req, 'date');
  if (!date || Number.isNaN(Date.parse(date))) return restError(400, 'InvalidHeader', 'date header is required');
  const skew = Math.abs(nowMs - Date.parse(date)) / 1000;
  if (skew > MAX_SKEW_S) return restError(400, 'InvalidHeader', `clock skew of ${Math.round(skew)}s was greater than ${MAX_SKEW_S}s`);
  const id = /^\/([^/]+)(?:\/users\/[^/]+)?\/keys\/(.+)$/.exec(keyId);
  if (!id || id[1] !== creds?.account || id[1] !== account) return restError(403, 'NotAuthorized', `${id?.[1] ?? keyId} is not allowed to access ${account}`);
  if (!key || !fingerprintMatches(id[2] as string, key)) return restError(401, 'InvalidCredentials', INVALID_CREDS);
  const hash = HASHES[algorithm];
  if (hash === undefined || (hash === null) !== (blobType(key) === 'ssh-ed25519'))
    return restError(401, 'InvalidCredentials', `${algorithm} is not a supported signing algorithm`);
  if (!verify(hash, Buffer.from(`date: ${date}`), publicKeyFromBlob(key), Buffer.from(signature, 'base64'))) {
    return restError(401, 'InvalidCredentials', INVALID_CREDS);
  }
  return undefined;
}

function machine(i: FleetInstance): Record<string, unknown> {
  const ips = [i.private_ipv4, i.public_ipv4].filter((a): a is string => typeof a === 'string');
  return {
    id: i.id,
    name: i.name ?? i.id,
    type: 'smartmachine',
    brand: 'joyent',
    state: i.state ?? 'running',
    image: '2b683a82-a066-11e3-97ab-2faa44701c5a',
    ips,
    memory: 1024,
    disk: 25600,
    metadata: { root_authorized_keys: '' },
    tags: i.tags ?? {},
    created: '2026-01-01T00:00:00.000Z',
    updated: '2026-01-01T00:00:10.000Z',
    networks: ['a4b0f2e1-3c5d-4e6f-8a9b-0c1d2e3f4a5b'],
    primaryIp: i.private_ipv4 ?? i.public_ipv4 ?? null,
    firewall_enabled: false,
    compute_node: i.zone ?? '44454c4c-5000-104d-8037-b7c04f5a5131',
    package: 'g4-highcpu-1G',
  };
}

function handle(req: SimRequest, ctx: SimContext, account: string): SimResponse {
  const creds = fleetCredentials<TritonCredentials>(ctx, 'triton');
  const denied = authProblem(req, account, creds, accountKey(ctx, creds));
  if (denied) return denied;
  if (req.method !== 'GET' && req.method !== 'HEAD') return restError(405, 'BadMethod', `${req.method} is not allowed`);
  const params = req.url.searchParams;
  const limit = params.has('limit') ? Number(params.get('limit')) : MAX_LIMIT;
  const offset = params.has('offset') ? Number(params.get('offset')) : 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return restError(409, 'InvalidArgument', `limit must be between 1 and ${MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) return restError(409, 'InvalidArgument', 'offset must be a non-negative integer');
  const tags = [...params].filter(([k]) => k.startsWith('tag.')).map(([k, v]) => [k.slice(4), v] as const);
  const state = params.get('state');
  const matching = visibleInstances(ctx, 'triton').filter(
    (i) => (state === null || (i.state ?? 'running') === state) && tags.every(([k, v]) => i.tags?.[k] === v),
  );
  const served = Math.min(limit, ctx.fleet.page_size?.[API_NAME] ?? MAX_LIMIT);
  const page = matching.slice(offset, offset + served);
  const headers = { 'content-type': 'application/json', 'x-resource-count': String(matching.length), 'x-query-limit': String(served) };
  return { status: 200, headers, body: req.method === 'HEAD' ? '' : JSON.stringify(page.map(machine)) };
}

const api: SimApi = {
  name: API_NAME,
  summary: "CloudAPI `ListMachines` (HTTP Signature over `date` with the account's SSH key; `limit`/`offset`)",
  match: (req) => /^\/[^/]+\/machines$/.test(req.url.pathname) && (header(req, 'authorization') ?? '').startsWith('Signature '),
  handle: (req, ctx) => handle(req, ctx, decodeURIComponent(req.url.pathname.split('/')[1] as string)),
  errorResponse(kind) {
    const [status, code, message] = ERRORS[kind];
    return restError(status, code, message, kind === 'throttle' ? { 'retry-after': '1' } : {});
  },
};

const tritonSim: SimModule = {
  provider: 'triton',
  apis: [api],
  fleet: tritonFleet,
  connect: {
    config: "`url=http://127.0.0.1:PORT`, the fleet's `account`, `key_id` and `key_file` (the key the sim made) or a key in ssh-agent",
    env: '`SSH_AUTH_SOCK` when the key is in an agent',
    why: 'CloudAPI is plain REST; the signature covers only the `date` header',
  },
  setup(ctx) {
    const creds = fleetCredentials<TritonCredentials>(ctx, 'triton');
    if (!creds?.account || creds.public_key || generated.has(ctx.stateDir)) return;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = join(ctx.stateDir, 'triton_id_rsa');
    writeFileSync(file, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    generated.set(ctx.stateDir, { blob: blobFromKey(privateKey), file });
  },
  paste(ctx) {
    const creds = fleetCredentials<TritonCredentials>(ctx, 'triton');
    const example = pasteExample(ctx, 'triton');
    const key = generated.get(ctx.stateDir);
    // A fleet with its own public key: the private half is the user's, in their agent.
    if (!creds?.account || example === undefined || (!key && !creds.public_key)) return undefined;
    const blob = accountKey(ctx, creds) as Buffer;
    const config = formatConfig({
      provider: 'triton',
      account: creds.account,
      url: ctx.httpUrl,
      key_id: md5Fingerprint(blob),
      ...(key && !creds.public_key ? { key_file: key.file } : {}),
      ...(example.tag ? { tag_key: example.tag[0], tag_value: example.tag[1] } : {}),
    });
    return { provider: 'triton', config, env: {} };
  },
};

export default tritonSim;

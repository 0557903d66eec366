/**
 * Region discovery: the `region` argument, then `AWS_REGION` / `AWS_DEFAULT_REGION`, then the
 * ECS task metadata endpoint (v4), then the EC2 instance metadata service (IMDSv2, v1 fallback).
 *
 * The lookups go through the shared HTTP stack (so the loopback guard applies) but never
 * through a proxy: both metadata endpoints are link-local addresses that only the host can
 * reach, and the AWS SDKs never proxy them either. The caller hands in a client built
 * without proxy variables.
 */
import { AbortError, AutojoinError, type HttpClient, type Logger, NetworkError, ProviderError, TimeoutError } from '../../src/kit/index.js';
import { regionFromArn } from './extract.js';

/** The real IMDS address; `AWS_EC2_METADATA_SERVICE_ENDPOINT` replaces it. */
export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
/** IMDS over IPv6 (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`). */
export const DEFAULT_IMDS_ENDPOINT_V6 = 'http://[fd00:ec2::254]';
/** Per-request timeout for metadata lookups (the SDKs' default): they answer in microseconds on a real host. */
export const METADATA_TIMEOUT_MS = 1000;

/** `AWS_METADATA_SERVICE_TIMEOUT` (seconds, as the AWS SDKs and CLI read it), else {@link METADATA_TIMEOUT_MS}. */
export function metadataTimeoutMs(env: Record<string, string | undefined>): number {
  const seconds = Number(env.AWS_METADATA_SERVICE_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : METADATA_TIMEOUT_MS;
}
/** IMDSv2 token lifetime asked for; one lookup needs seconds, not hours. */
const TOKEN_TTL_SECONDS = '60';

export interface RegionLookup {
  /** A client that does not use a proxy. */
  http: HttpClient;
  env: Record<string, string | undefined>;
  log: Logger;
  signal?: AbortSignal;
  /** @default metadataTimeoutMs(env) */
  timeoutMs?: number;
}

/** Where the region came from, for the debug log and tests. */
export type RegionSource = 'arg' | 'env' | 'ecs-metadata' | 'imds';

/** Resolves the region, or throws a {@link ProviderError} naming every source tried. */
export async function resolveRegion(argRegion: string | undefined, lookup: RegionLookup): Promise<{ region: string; source: RegionSource }> {
  if (argRegion) return { region: argRegion, source: 'arg' };
  const fromEnv = lookup.env.AWS_REGION || lookup.env.AWS_DEFAULT_REGION;
  if (fromEnv) return { region: fromEnv, source: 'env' };
  const ecsUri = lookup.env.ECS_CONTAINER_METADATA_URI_V4;
  if (ecsUri) return { region: await regionFromEcsMetadata(ecsUri, lookup), source: 'ecs-metadata' };
  if (isTrue(lookup.env.AWS_EC2_METADATA_DISABLED)) {
    throw new ProviderError('aws', 'no region: set region=, AWS_REGION or AWS_DEFAULT_REGION (instance metadata is disabled by AWS_EC2_METADATA_DISABLED)', {
      operation: 'region lookup',
    });
  }
  try {
    return { region: await regionFromImds(lookup), source: 'imds' };
  } catch (err) {
    throw offEc2(err);
  }
}

/**
 * An IMDS lookup that got no answer (off EC2): said as what to give, with the underlying cause
 * after it. Other errors (IMDS answered, but wrongly) pass unchanged.
 */
function offEc2(err: unknown): unknown {
  if (!(err instanceof ProviderError) || !(err.cause instanceof NetworkError || err.cause instanceof TimeoutError)) return err;
  const cause = err.message.replace(/^discover-aws: /, '');
  return new ProviderError('aws', `no region: give region= or set AWS_REGION (no instance metadata answered: not on EC2?): ${cause}`, {
    operation: 'region lookup',
    cause: err,
  });
}

/** `GET ${ECS_CONTAINER_METADATA_URI_V4}/task` -> region of `TaskARN` (go-discover's rule). */
export async function regionFromEcsMetadata(baseUri: string, lookup: RegionLookup): Promise<string> {
  const operation = 'ECS task metadata';
  const url = `${baseUri.replace(/\/+$/, '')}/task`;
  const body = await metadataCall(operation, () =>
    lookup.http.request(url, { timeoutMs: lookup.timeoutMs ?? metadataTimeoutMs(lookup.env), signal: lookup.signal }),
  );
  const doc = parseJson(body, operation) as { TaskARN?: unknown; AvailabilityZone?: unknown };
  const arn = typeof doc.TaskARN === 'string' ? doc.TaskARN : '';
  const region = regionFromArn(arn);
  if (!region) {
    throw new ProviderError('aws', `unable to determine AWS region from ECS Task ARN: ${JSON.stringify(arn)}`, { operation });
  }
  lookup.log.debug(`discover-aws: region ${region} from ECS task metadata`);
  return region;
}

/**
 * IMDSv2: `PUT /latest/api/token`, then `GET /latest/dynamic/instance-identity/document` with the
 * token, -> `region`. When the token call answers 404 or 405 (IMDSv1-only hosts, some emulators),
 * the document is asked for without a token, as the SDKs do, unless `AWS_EC2_METADATA_V1_DISABLED=true`.
 */
export async function regionFromImds(lookup: RegionLookup): Promise<string> {
  const operation = 'GetInstanceIdentityDocument';
  const base = imdsEndpoint(lookup.env);
  const timeoutMs = lookup.timeoutMs ?? metadataTimeoutMs(lookup.env);
  const v1Allowed = !isTrue(lookup.env.AWS_EC2_METADATA_V1_DISABLED);
  const tokenResponse = await metadataCall(operation, () =>
    lookup.http.request(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
      timeoutMs,
      signal: lookup.signal,
      okStatus: (status) => (status >= 200 && status < 300) || (v1Allowed && (status === 404 || status === 405)),
    }),
  );
  const headers: Record<string, string> = {};
  if (tokenResponse.status >= 200 && tokenResponse.status < 300) headers['x-aws-ec2-metadata-token'] = tokenResponse.text;
  const docResponse = await metadataCall(operation, () =>
    lookup.http.request(`${base}/latest/dynamic/instance-identity/document`, { headers, timeoutMs, signal: lookup.signal }),
  );
  const doc = parseJson(docResponse, operation) as { region?: unknown };
  if (typeof doc.region !== 'string' || doc.region === '') {
    throw new ProviderError('aws', 'the instance identity document has no region', { operation });
  }
  lookup.log.debug(`discover-aws: region ${doc.region} from instance metadata`);
  return doc.region;
}

/** The IMDS base URL from `AWS_EC2_METADATA_SERVICE_ENDPOINT[_MODE]`, without a trailing slash. */
export function imdsEndpoint(env: Record<string, string | undefined>): string {
  const configured = env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  if (configured) return configured.replace(/\/+$/, '');
  return env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6' ? DEFAULT_IMDS_ENDPOINT_V6 : DEFAULT_IMDS_ENDPOINT;
}

/** Proxy variables removed: metadata endpoints are link-local and never proxied. */
export function withoutProxyEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!/^(https?|all|no)_proxy$/i.test(key)) out[key] = value;
  }
  return out;
}

function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

interface MetadataResponse {
  status: number;
  text: string;
}

async function metadataCall(operation: string, call: () => Promise<{ status: number; text(): string }>): Promise<MetadataResponse> {
  try {
    const response = await call();
    return { status: response.status, text: response.text() };
  } catch (err) {
    if (err instanceof AbortError) throw err;
    const status = (err as { status?: unknown }).status;
    const reason = err instanceof AutojoinError ? err.message : String(err);
    throw new ProviderError('aws', reason, { operation, status: typeof status === 'number' ? status : undefined, cause: err });
  }
}

function parseJson(response: MetadataResponse, operation: string): unknown {
  try {
    const value: unknown = JSON.parse(response.text);
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // reported below
  }
  throw new ProviderError('aws', 'malformed metadata response (not a JSON object)', { operation, status: response.status });
}

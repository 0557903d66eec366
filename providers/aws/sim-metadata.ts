/**
 * The simulated metadata endpoints a workload on AWS reads: IMDSv2 (`PUT /latest/api/token`, the
 * identity document, placement, the instance role's credentials) and the ECS task metadata
 * endpoint v4 (`${ECS_CONTAINER_METADATA_URI_V4}/task`). "This" instance is the fleet's first EC2
 * instance; "this" task its first ECS task.
 */
import { randomBytes } from 'node:crypto';
import type { AwsInstance as FleetInstance } from './sim-fleet.js';
import { fleetCredentials, type SimApi, type SimContext, type SimRequest, type SimResponse, visibleInstances } from '../../src/kit/index.js';
import type { SimAwsCredentials } from './sim-sigv4.js';
import { regionOf, zoneOf } from './sim-ec2.js';
import { clusterArn, taskArn } from './sim-ecs.js';

/** Path prefix of the simulated ECS task metadata endpoint (`ECS_CONTAINER_METADATA_URI_V4`). */
export const ECS_METADATA_PREFIX = '/ecs-metadata/v4/';
/** The role name the simulated IMDS lists under `iam/security-credentials/`. */
export const IMDS_ROLE = 'autojoin-sim-role';
export const DEFAULT_ACCOUNT = '123456789012';
export const DEFAULT_REGION = 'us-east-1';

export function accountId(ctx: SimContext): string {
  return fleetCredentials<{ account_id?: string }>(ctx, 'aws')?.account_id ?? DEFAULT_ACCOUNT;
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** IMDSv2 tokens issued, per running sim. */
const imdsTokens = new WeakMap<SimContext, Set<string>>();

/** The instance the simulated IMDS describes: the first EC2 instance of the fleet. */
function selfInstance(ctx: SimContext): FleetInstance | undefined {
  return visibleInstances<FleetInstance>(ctx, 'aws').find((i) => !i.ecs);
}

function text(status: number, body: string, contentType = 'text/plain'): SimResponse {
  return { status, headers: { 'content-type': contentType }, body };
}

export const imdsApi: SimApi = {
  name: 'aws-imds',
  summary: 'EC2 instance metadata (IMDSv2 token, region, credentials)',
  match: (req) => req.url.pathname.startsWith('/latest/'),
  handle(req, ctx) {
    const tokens = imdsTokens.get(ctx) ?? new Set<string>();
    imdsTokens.set(ctx, tokens);
    const path = req.url.pathname;
    if (path === '/latest/api/token') {
      if (req.method !== 'PUT') return text(405, '');
      const ttl = Number(header(req, 'x-aws-ec2-metadata-token-ttl-seconds'));
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, '');
      const token = randomBytes(32).toString('base64');
      tokens.add(token);
      return { status: 200, headers: { 'content-type': 'text/plain', 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) }, body: token };
    }
    if (req.method !== 'GET') return text(405, '');
    // IMDSv2 only ("HttpTokens: required"), as hardened instances run.
    const token = header(req, 'x-aws-ec2-metadata-token');
    if (token === undefined || !tokens.has(token)) return text(401, '');
    const self = selfInstance(ctx);
    const region = (self && regionOf(self)) ?? DEFAULT_REGION;
    const creds = fleetCredentials<SimAwsCredentials>(ctx, 'aws');
    switch (path) {
      case '/latest/dynamic/instance-identity/document':
        return text(
          200,
          JSON.stringify(
            {
              accountId: accountId(ctx),
              architecture: 'x86_64',
              availabilityZone: (self && zoneOf(self)) ?? `${region}a`,
              imageId: 'ami-0a1b2c3d4e5f60718',
              instanceId: self?.id ?? 'i-0000000000000000',
              instanceType: 't3.micro',
              pendingTime: '2026-01-01T00:00:00Z',
              privateIp: self?.private_ipv4 ?? null,
              region,
              version: '2017-09-30',
            },
            null,
            2,
          ),
        );
      case '/latest/meta-data/placement/region':
        return text(200, region);
      case '/latest/meta-data/placement/availability-zone':
        return text(200, (self && zoneOf(self)) ?? `${region}a`);
      case '/latest/meta-data/instance-id':
        return text(200, self?.id ?? 'i-0000000000000000');
      case '/latest/meta-data/iam/security-credentials':
      case '/latest/meta-data/iam/security-credentials/':
        return creds ? text(200, IMDS_ROLE) : text(404, '');
      case `/latest/meta-data/iam/security-credentials/${IMDS_ROLE}`:
        if (!creds) return text(404, '');
        return text(
          200,
          JSON.stringify({
            Code: 'Success',
            LastUpdated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            Type: 'AWS-HMAC',
            AccessKeyId: creds.access_key_id,
            SecretAccessKey: creds.secret_access_key,
            // The SDK requires a token from IMDS; the sim accepts any when the fleet sets none.
            Token: creds.session_token ?? 'sim-imds-session-token',
            Expiration: new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          }),
        );
      default:
        return text(404, '');
    }
  },
  errorResponse(kind) {
    return text(kind === 'auth' ? 401 : kind === 'server' ? 500 : 503, '');
  },
};

// ---------------------------------------------------------------- ECS task metadata v4

export const ecsMetadataApi: SimApi = {
  name: 'aws-ecs-metadata',
  summary: 'ECS task metadata',
  match: (req) => req.url.pathname.startsWith(ECS_METADATA_PREFIX),
  handle(req, ctx) {
    if (req.method !== 'GET' || !req.url.pathname.endsWith('/task')) return text(404, '');
    const task = visibleInstances<FleetInstance>(ctx, 'aws').find((i) => i.ecs);
    if (!task) return text(404, '');
    const region = regionOf(task) ?? DEFAULT_REGION;
    const scope = { region, accountId: accountId(ctx) };
    const family = task.ecs?.family ?? 'default';
    return text(
      200,
      JSON.stringify({
        Cluster: clusterArn(scope, task.ecs?.cluster ?? 'default'),
        TaskARN: taskArn(scope, task),
        Family: family,
        Revision: '1',
        DesiredStatus: 'RUNNING',
        KnownStatus: 'RUNNING',
        AvailabilityZone: zoneOf(task) ?? `${region}a`,
        LaunchType: 'FARGATE',
        Containers: [{ Name: family, KnownStatus: 'RUNNING', Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: [task.private_ipv4] }] }],
      }),
      'application/json',
    );
  },
  errorResponse(kind) {
    return text(kind === 'auth' ? 401 : kind === 'server' ? 500 : 503, '');
  },
};

/** `ECS_CONTAINER_METADATA_URI_V4` for a sim listening on `httpUrl`. */
export function ecsMetadataUri(httpUrl: string): string {
  return `${httpUrl}${ECS_METADATA_PREFIX}sim-container`;
}

/**
 * AWS as the simulator serves it, in its real wire formats:
 * - `aws-ec2`: EC2 Query `DescribeInstances` (XML), SigV4-checked;
 * - `aws-ecs`: ECS awsJson1_1 `ListClusters` / `ListTasks` / `DescribeTasks`, SigV4-checked;
 * - `aws-imds`: IMDSv2 (`PUT /latest/api/token`, identity document, placement region, role credentials);
 * - `aws-ecs-metadata`: the ECS task metadata endpoint v4 (`…/task`).
 *
 * EC2 and ECS share `POST /`; they are told apart by the SigV4 credential scope's service and
 * `X-Amz-Target`. Each region sees only its own instances (instances without region: every region).
 */
import {
  fleetCredentials,
  formatConfig,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  visibleInstances,
} from '../../src/kit/index.js';
import { describeInstances, describeInstancesXml, ec2Error, parseDescribeInstances, regionOf } from './sim-ec2.js';
import { ECS_TARGET_PREFIX, ecsError, handleEcs } from './sim-ecs.js';
import { accountId, DEFAULT_REGION, ecsMetadataApi, imdsApi } from './sim-metadata.js';
import { type AwsInstance, awsFleet } from './sim-fleet.js';
import { type SigV4Verdict, type SimAwsCredentials, scopeService, simAwsCredentials, verifySigV4 } from './sim-sigv4.js';

export { ECS_METADATA_PREFIX, ecsMetadataUri, IMDS_ROLE } from './sim-metadata.js';

/** Instances (not ECS tasks) and tasks of the request's region. */
/**
 * Whether AWS has `region`: a region of the SDK's partition list (AWS answers a credential scoped to
 * any other with an error, and without `endpoint=` the SDK would fail to resolve its host), or one
 * the fleet puts instances in. Without the SDK installed, every region counts.
 */
async function knownRegion(ctx: SimContext, region: string): Promise<boolean> {
  listedRegion ??= await import('@aws-sdk/core/client').then(
    (sdk) => (name: string) => (sdk.partition(name) as { description?: string }).description !== undefined,
    () => () => true,
  );
  return listedRegion(region) || visibleInstances<AwsInstance>(ctx, 'aws').some((i) => regionOf(i) === region);
}
let listedRegion: ((region: string) => boolean) | undefined;

/** What AWS says of a credential scoped to a region it does not have. */
const invalidRegion = (region: string) => `Credential should be scoped to a valid region, not '${region}'.`;

function inRegion(ctx: SimContext, region: string, ecs: boolean): AwsInstance[] {
  return visibleInstances<AwsInstance>(ctx, 'aws').filter((i) => Boolean(i.ecs) === ecs && (regionOf(i) ?? region) === region);
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------- EC2

const EC2_ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [503, 'RequestLimitExceeded', 'Request limit exceeded.'],
  server: [500, 'InternalError', 'An internal error has occurred. Retry your request, but if the problem persists, contact us.'],
  unavailable: [503, 'Unavailable', "The server is overloaded and can't handle the request."],
  auth: [401, 'AuthFailure', 'AWS was not able to validate the provided access credentials'],
};

function ec2AuthError(verdict: Exclude<SigV4Verdict, { ok: true }>): SimResponse {
  switch (verdict.reason) {
    case 'missing':
      return ec2Error(401, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    case 'expired':
      return ec2Error(400, 'RequestExpired', 'Request has expired.');
    case 'bad-signature':
      return ec2Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    default:
      return ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
  }
}

const ec2Api: SimApi = {
  name: 'aws-ec2',
  summary: 'EC2 Query API (DescribeInstances)',
  match: (req) =>
    req.method === 'POST' &&
    req.url.pathname === '/' &&
    header(req, 'x-amz-target') === undefined &&
    (scopeService(req) === 'ec2' || /(^|&)Action=/.test(req.body.toString('utf8'))),
  async handle(req, ctx) {
    const verdict = await verifySigV4(req, fleetCredentials<SimAwsCredentials>(ctx, 'aws'));
    if (!verdict.ok) return ec2AuthError(verdict);
    if (!(await knownRegion(ctx, verdict.auth.region))) return ec2Error(401, 'AuthFailure', invalidRegion(verdict.auth.region));
    const form = new URLSearchParams(req.body.toString('utf8'));
    const action = form.get('Action');
    if (action !== 'DescribeInstances') {
      return ec2Error(400, 'InvalidAction', `The action ${action ?? ''} is not valid for this web service.`);
    }
    const result = describeInstances(inRegion(ctx, verdict.auth.region, false), parseDescribeInstances(form), ctx.fleet.page_size?.['aws-ec2']);
    if (!result.ok) return ec2Error(result.status, result.code, result.message);
    return {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: describeInstancesXml(result.instances, result.nextToken, accountId(ctx)),
    };
  },
  errorResponse(kind) {
    const [status, code, message] = EC2_ERRORS[kind];
    return ec2Error(status, code, message);
  },
};

// ---------------------------------------------------------------- ECS

const ECS_ERRORS: Record<SimErrorKind, [number, string, string]> = {
  throttle: [400, 'ThrottlingException', 'Rate exceeded'],
  server: [500, 'ServerException', 'Service encountered an internal error.'],
  unavailable: [503, 'ServiceUnavailableException', 'Service is unavailable.'],
  auth: [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'],
};

function ecsAuthError(verdict: Exclude<SigV4Verdict, { ok: true }>): SimResponse {
  switch (verdict.reason) {
    case 'missing':
      return ecsError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    case 'expired':
      return ecsError(400, 'InvalidSignatureException', 'Signature expired: the request time is too far from the server time.');
    case 'bad-signature':
      return ecsError(
        400,
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    default:
      return ecsError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
}

const ecsApi: SimApi = {
  name: 'aws-ecs',
  summary: 'ECS JSON API (ListClusters, ListTasks, DescribeTasks)',
  match: (req) =>
    req.method === 'POST' && req.url.pathname === '/' && ((header(req, 'x-amz-target') ?? '').startsWith(ECS_TARGET_PREFIX) || scopeService(req) === 'ecs'),
  async handle(req, ctx) {
    const verdict = await verifySigV4(req, fleetCredentials<SimAwsCredentials>(ctx, 'aws'));
    if (!verdict.ok) return ecsAuthError(verdict);
    if (!(await knownRegion(ctx, verdict.auth.region))) return ecsError(400, 'InvalidSignatureException', invalidRegion(verdict.auth.region));
    const target = header(req, 'x-amz-target') ?? '';
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(req.body.toString('utf8') || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return ecsError(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    const scope = { region: verdict.auth.region, accountId: accountId(ctx) };
    return handleEcs(target.slice(ECS_TARGET_PREFIX.length), body, inRegion(ctx, scope.region, true), scope, ctx.fleet.page_size?.['aws-ecs']);
  },
  errorResponse(kind) {
    const [status, type, message] = ECS_ERRORS[kind];
    return ecsError(status, type, message);
  },
};

const awsSim: SimModule = {
  provider: 'aws',
  apis: [ecsApi, ec2Api, imdsApi, ecsMetadataApi],
  fleet: awsFleet,
  connect: {
    config: '`endpoint=http://127.0.0.1:PORT`, `access_key_id`, `secret_access_key`',
    env: '`AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT`',
    why: 'EC2 and ECS calls go to `endpoint`; region and credential lookups through IMDS reach the sim, never 169.254.169.254',
  },
  paste(ctx) {
    const instances = visibleInstances<AwsInstance>(ctx, 'aws');
    const sample = instances.find((i) => !i.ecs && Object.keys(i.tags ?? {}).length > 0);
    if (!sample) return undefined;
    const [tagKey, tagValue] = Object.entries(sample.tags ?? {})[0] as [string, string];
    const creds = simAwsCredentials(fleetCredentials<SimAwsCredentials>(ctx, 'aws'));
    return {
      provider: 'aws',
      config: formatConfig({
        provider: 'aws',
        region: regionOf(sample) ?? DEFAULT_REGION,
        tag_key: tagKey,
        tag_value: tagValue,
        ...(creds ? { access_key_id: creds.access_key_id, secret_access_key: creds.secret_access_key } : {}),
        ...(creds?.session_token ? { session_token: creds.session_token } : {}),
        endpoint: ctx.httpUrl,
      }),
      env: {
        AWS_EC2_METADATA_SERVICE_ENDPOINT: ctx.httpUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    };
  },
};

export default awsSim;

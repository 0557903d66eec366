/**
 * The `aws` provider: EC2 instances (`DescribeInstances`) or ECS tasks (`ListClusters` ->
 * `ListTasks` -> `DescribeTasks`) by tag, on the official AWS SDK for JavaScript v3.
 * The SDK is imported only inside `discover()`.
 */
import { type ArgProblem, defineProvider, loadHttpStack } from '../../src/kit/index.js';
import { parseTags, type TagFilter } from './extract.js';

const ARGS = {
  region: {
    type: 'string',
    env: ['AWS_REGION', 'AWS_DEFAULT_REGION'],
    help: 'The AWS region. Default: AWS_REGION, then AWS_DEFAULT_REGION, then the ECS task metadata (ECS_CONTAINER_METADATA_URI_V4), then the instance metadata service (IMDSv2).',
  },
  tag_key: {
    type: 'string',
    help: 'The tag key to filter on. With tag_value: the tag must have that value (an absent tag_value means the empty value, as in go-discover).',
  },
  tag_value: { type: 'string', help: 'The value of tag_key to filter on.' },
  tags: {
    type: 'list',
    help: 'More tag conditions, all required (AND), also with tag_key/tag_value: comma-separated key=value (the tag has this value) or key (the tag exists), e.g. tags="role=nomad-server,env=prod". Quote the value: it holds "=".',
  },
  addr_type: {
    type: 'enum',
    values: ['private_v4', 'public_v4', 'public_v6'],
    default: 'private_v4',
    refused: { private_v6: 'every AWS IPv6 address is global unicast: use public_v6' },
    help: 'private_v4 (the instance private IPv4), public_v4 (its public IPv4) or public_v6 (every IPv6 on every network interface). private_v6 is refused: every AWS IPv6 address is global unicast, use public_v6. ECS tasks give private_v4 only.',
  },
  access_key_id: { type: 'string', help: 'The AWS access key id. Default: AWS_ACCESS_KEY_ID, then the SDK default credential chain.' },
  secret_access_key: {
    type: 'string',
    secret: true,
    help: 'The AWS secret access key (with access_key_id). Default: AWS_SECRET_ACCESS_KEY, then the SDK default credential chain.',
  },
  session_token: {
    type: 'string',
    secret: true,
    help: 'The session token of temporary credentials (with access_key_id and secret_access_key). Default: AWS_SESSION_TOKEN when the keys come from the environment.',
  },
  service: { type: 'enum', values: ['ec2', 'ecs'], default: 'ec2', help: 'The AWS service to search: ec2 (instances) or ecs (tasks).' },
  ecs_cluster: { type: 'string', help: 'The ECS cluster name or full ARN to search (service=ecs). Default: every cluster.' },
  ecs_family: { type: 'string', help: 'The ECS task definition family to search (service=ecs). Default: every family.' },
  endpoint: {
    type: 'url',
    help: 'The endpoint URL of the EC2 and ECS APIs (e.g. a VPC endpoint or a simulator). Default: the public endpoint of the region (AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL are honoured by the SDK).',
  },
} as const;

type AwsArgs = {
  tag_key?: string | undefined;
  tag_value?: string | undefined;
  tags?: string[] | undefined;
};

/** Every tag condition: `tag_key`/`tag_value` first (go-discover's), then `tags`. */
export function tagFilters(args: AwsArgs): { tags: TagFilter[]; problems: ArgProblem[] } {
  const tags: TagFilter[] = [];
  const problems: ArgProblem[] = [];
  // go-discover sends `tag:<tag_key>` = [tag_value], an absent value being "".
  if (args.tag_key) tags.push({ key: args.tag_key, value: args.tag_value ?? '' });
  const parsed = parseTags(args.tags ?? []);
  if ('problem' in parsed) problems.push({ key: 'tags', message: parsed.problem });
  else tags.push(...parsed.tags);
  return { tags, problems };
}

export default defineProvider({
  name: 'aws',
  summary: 'Amazon EC2 instances or ECS tasks by tag (AWS SDK for JavaScript v3).',
  packages: ['@aws-sdk/client-ec2', '@aws-sdk/client-ecs', '@smithy/node-http-handler'],
  args: ARGS,
  notes: [
    'Credentials, first found: access_key_id + secret_access_key (+ session_token); AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); then the SDK default chain: AWS_PROFILE and the shared config/credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), SSO, web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI) and the EC2 instance role through IMDS.',
    'Region, first found: region=, AWS_REGION, AWS_DEFAULT_REGION, the region of the TaskARN at ECS_CONTAINER_METADATA_URI_V4 + /task, then the instance identity document from IMDSv2 (PUT /latest/api/token, then GET /latest/dynamic/instance-identity/document; IMDSv1 when the token call answers 404/405, unless AWS_EC2_METADATA_V1_DISABLED=true). AWS_EC2_METADATA_SERVICE_ENDPOINT (and _MODE=IPv6) moves IMDS; AWS_EC2_METADATA_DISABLED=true turns it off. Each metadata request times out after 1 s, or AWS_METADATA_SERVICE_TIMEOUT seconds.',
    'Metadata endpoints (IMDS, ECS task metadata) are link-local and never go through a proxy, whatever HTTP_PROXY/HTTPS_PROXY say (go-discover proxies them unless NO_PROXY lists them). API calls honour HTTP_PROXY, HTTPS_PROXY and NO_PROXY. The credential lookups of the SDK default chain (instance role, container credentials) are made by the SDK itself, from the process environment, never proxied either.',
    'IAM permissions: ec2:DescribeInstances; for service=ecs: ecs:ListClusters (unless ecs_cluster is set), ecs:ListTasks, ecs:DescribeTasks.',
    'Every page is read: DescribeInstances 1000 instances a page (NextToken), ListClusters and ListTasks 100 a page, DescribeTasks 100 tasks a call. Only running instances (instance-state-name=running) and tasks whose desired status is RUNNING are returned.',
    'Each API call makes at most 4 attempts (the SDK itself makes one): throttling (RequestLimitExceeded, ThrottlingException, 429; Retry-After honoured), 5xx answers and connection failures are retried with exponential backoff and jitter, never past the call timeout. Auth errors (AuthFailure, SignatureDoesNotMatch, UnrecognizedClientException) and malformed answers fail at once, with a ProviderError naming the operation, the HTTP status and the AWS error code; no partial list is returned.',
    'Differences from go-discover: DescribeInstances is paged, 1000 a page (go-discover makes one unpaginated call, which EC2 answers whole but AWS documents as slow and throttle-prone); addr_type and service are checked (go-discover silently falls back to private_v4 and ec2); AWS_REGION / AWS_DEFAULT_REGION are honoured; tags= adds AND conditions; access_key_id without secret_access_key (or the reverse) is an error instead of a silent switch to the default chain; a tag condition (tag_key or tags) is required.',
  ],
  examples: [
    'provider=aws tag_key=consul-role tag_value=server',
    'provider=aws region=eu-west-1 tag_key=role tag_value=nomad-server addr_type=public_v4',
    'provider=aws tag_key=role tag_value=nomad-server tags="env=prod,team"',
    'provider=aws service=ecs ecs_cluster=prod ecs_family=consul tag_key=role tag_value=server',
    'provider=aws region=us-east-1 tag_key=role tag_value=db access_key_id=AKIA... secret_access_key=... endpoint=https://vpce-0123.ec2.us-east-1.vpce.amazonaws.com',
  ],
  rules: [
    { requires: 'tag_value', needs: ['tag_key'] },
    { together: ['access_key_id', 'secret_access_key'], why: 'to use the default credential chain' },
    { requires: 'session_token', needs: ['access_key_id', 'secret_access_key'] },
  ],
  validate(args) {
    const { tags, problems } = tagFilters(args);
    const list = [...problems];
    if (tags.length === 0 && problems.length === 0) {
      list.push({ key: 'tag_key', message: 'tag_key (with tag_value) or tags is required: without a tag condition every instance would match' });
    }
    if (args.service === 'ecs' && args.addr_type !== 'private_v4') {
      list.push({ key: 'addr_type', message: `addr_type=${args.addr_type} is not available with service=ecs: ECS tasks give their private IPv4 only` });
    }
    return list;
  },
  async discover(args, ctx) {
    const { tags } = tagFilters(args);
    const { resolveRegion, withoutProxyEnv } = await import('./region.js');
    const { createHttpClient } = await loadHttpStack();
    // Metadata endpoints are link-local: a client without proxy variables, loopback guard kept.
    const direct = createHttpClient({ env: withoutProxyEnv(ctx.env) });
    let region: string;
    try {
      region = (await resolveRegion(args.region, { http: direct, env: ctx.env, log: ctx.log, signal: ctx.signal })).region;
    } finally {
      direct.destroy();
    }
    const { discoverEc2, discoverEcs } = await import('./client.js');
    const options = {
      region,
      endpoint: args.endpoint,
      accessKeyId: args.access_key_id,
      secretAccessKey: args.secret_access_key,
      sessionToken: args.session_token,
    };
    if (args.service === 'ecs') {
      const { targets } = await discoverEcs(options, { tags, cluster: args.ecs_cluster, family: args.ecs_family }, ctx);
      return targets;
    }
    const { targets } = await discoverEc2(options, tags, args.addr_type, ctx);
    return targets;
  },
});

/**
 * The AWS SDK side of the provider: builds EC2 / ECS clients from the arguments and the
 * context, and walks every page. Loaded only when the provider runs (`index.ts` imports it
 * lazily), so `discover help` never loads the SDK.
 *
 * The SDK is imported by name, statically: the build bundles this file with the SDK's ESM build,
 * tree-shaken to the one command used (scripts/bundle-providers.mjs, docs/performance.md).
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { apiCall, MalformedResponseError, type ProviderContext, redactUrl, type Target } from '../../src/kit/index.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { type AwsAddrType, ec2Filters, type TagFilter, targetsFromReservations, targetsFromTasks } from './extract.js';

// The SDK prints a Node-version notice on stderr at the first client; discover's output stays clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** EC2 allows 5..1000 per `DescribeInstances` page; the largest page means the fewest calls. */
export const EC2_PAGE_SIZE = 1000;
/** ECS `ListClusters` / `ListTasks` allow 1..100; `DescribeTasks` takes at most 100 tasks. */
export const ECS_PAGE_SIZE = 100;

/** What the clients are built from. */
export interface AwsClientOptions {
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** Static credentials from the arguments, else from `ctx.env`; undefined: the SDK's default chain. */
export function staticCredentials(
  options: AwsClientOptions,
  env: Record<string, string | undefined>,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  if (options.accessKeyId && options.secretAccessKey) {
    return withToken(options.accessKeyId, options.secretAccessKey, options.sessionToken);
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return withToken(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN);
  }
  return undefined;
}

function withToken(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined) {
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/**
 * Where the SDK's own log lines go (the HTTP handler's warnings; it writes to the console when given
 * no logger): the provider's debug log, so `-q` silences them as every other log line.
 */
export function sdkLogger(ctx: Pick<ProviderContext, 'log'>) {
  const debug = (...parts: unknown[]) => ctx.log.debug(`discover-aws: ${parts.map(String).join(' ')}`);
  return { trace: () => {}, debug, info: debug, warn: debug, error: debug };
}

function commonConfig(options: AwsClientOptions, ctx: ProviderContext) {
  const credentials = staticCredentials(options, ctx.env);
  const requestHandler: NodeHttpHandler = new NodeHttpHandler({
    httpAgent: ctx.http.httpAgent,
    httpsAgent: ctx.http.httpsAgent,
    // No requestTimeout or socketTimeout: the call's deadline is the one bound (docs/http.md), through
    // the abort signal the SDK gets. (Its requestTimeout does not end a request anyway: it prints a
    // warning to the console when one outlasts it.)
    logger: sdkLogger(ctx),
  });
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // One retry policy for the whole project: retryCall. The SDK makes exactly one attempt.
    maxAttempts: 1,
    requestHandler,
    customUserAgent: ctx.userAgent,
  };
}

/** An EC2 client wired to the shared agents (proxy, keep-alive, loopback guard). */
export function createEc2Client(options: AwsClientOptions, ctx: ProviderContext): EC2Client {
  return new EC2Client(commonConfig(options, ctx));
}

/** An ECS client wired the same way. The ECS SDK is loaded only for `service=ecs`. */
export async function createEcsClient(options: AwsClientOptions, ctx: ProviderContext): Promise<ECSClient> {
  const ecsSdk = await import('./ecs-sdk.js');
  return new ecsSdk.ECSClient(commonConfig(options, ctx));
}

/** One API call: the shared retried call around one SDK attempt, errors made typed. */
function call<T>(operation: string, ctx: ProviderContext, send: () => Promise<T>): Promise<T> {
  return apiCall(ctx, { provider: 'aws', operation, toError: toProviderError, classify: classifyAwsError }, send);
}

/** `DescribeInstances` over every page, filtered by tags and `running`. */
export async function discoverEc2(
  options: AwsClientOptions,
  tags: readonly TagFilter[],
  addrType: AwsAddrType,
  ctx: ProviderContext,
): Promise<{ targets: Target[]; pages: number }> {
  // Not destroyed after use: client.destroy() would destroy the shared agents, which belong to ctx.http.
  const client = createEc2Client(options, ctx);
  const Filters = ec2Filters(tags);
  ctx.log.debug(`discover-aws: Filter instances with ${Filters.map((f) => `${f.Name}=${f.Values.join('|')}`).join(', ')}`);
  const targets: Target[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const command = new DescribeInstancesCommand({ Filters, MaxResults: EC2_PAGE_SIZE, NextToken: nextToken });
    const page = await call('DescribeInstances', ctx, () => client.send(command, { abortSignal: ctx.signal }));
    pages++;
    // A real answer always has a reservationSet (maybe empty); an HTML page or an empty 200 has none.
    if (page.Reservations === undefined) {
      throw new MalformedResponseError(
        'discover-aws: DescribeInstances: malformed response: no reservationSet in the answer (an HTML page or an empty body?)',
        redactUrl(options.endpoint ?? `https://ec2.${options.region}.amazonaws.com/`),
      );
    }
    // Extract page by page: only the targets outlive a page, not the SDK's object tree.
    targets.push(...targetsFromReservations(page.Reservations ?? [], addrType));
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  // Counted as printed: the engine drops repeats (one address on two instances), so say so.
  const unique = new Set(targets.map((target) => `${target.address} ${target.port}`)).size;
  const repeats = targets.length - unique;
  ctx.log.debug(`discover-aws: DescribeInstances: ${unique} addresses in ${pages} pages${repeats ? ` (${repeats} repeated, dropped)` : ''}`);
  return { targets, pages };
}

/**
 * go-discover's ECS walk: `ListClusters` (every page, unless `cluster` is given) ->
 * `ListTasks` (every page, `RUNNING`, optional family) -> `DescribeTasks` (100 at a time, with tags).
 */
export async function discoverEcs(
  options: AwsClientOptions,
  filter: { tags: readonly TagFilter[]; cluster?: string; family?: string },
  ctx: ProviderContext,
): Promise<{ targets: Target[] }> {
  const ecsSdk = await import('./ecs-sdk.js');
  const client = await createEcsClient(options, ctx);
  const abort = { abortSignal: ctx.signal };
  const clusters: string[] = [];
  if (filter.cluster) {
    clusters.push(filter.cluster);
  } else {
    let nextToken: string | undefined;
    do {
      const command = new ecsSdk.ListClustersCommand({ maxResults: ECS_PAGE_SIZE, nextToken });
      const page = await call('ListClusters', ctx, () => client.send(command, abort));
      clusters.push(...(page.clusterArns ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken !== undefined);
  }
  const targets: Target[] = [];
  for (const cluster of clusters) {
    const taskArns: string[] = [];
    let nextToken: string | undefined;
    do {
      const command = new ecsSdk.ListTasksCommand({
        cluster,
        desiredStatus: 'RUNNING',
        maxResults: ECS_PAGE_SIZE,
        nextToken,
        ...(filter.family ? { family: filter.family } : {}),
      });
      const page = await call('ListTasks', ctx, () => client.send(command, abort));
      taskArns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken || undefined;
    } while (nextToken !== undefined);
    for (let i = 0; i < taskArns.length; i += ECS_PAGE_SIZE) {
      const batch = taskArns.slice(i, i + ECS_PAGE_SIZE);
      const command = new ecsSdk.DescribeTasksCommand({ cluster, tasks: batch, include: ['TAGS'] });
      const described = await call('DescribeTasks', ctx, () => client.send(command, abort));
      if (described.failures?.length) {
        ctx.log.debug(`discover-aws: DescribeTasks: ${described.failures.length} tasks could not be described in ${cluster}`);
      }
      targets.push(...targetsFromTasks(described.tasks ?? [], filter.tags));
    }
    ctx.log.debug(`discover-aws: cluster ${cluster}: ${taskArns.length} running tasks`);
  }
  return { targets };
}

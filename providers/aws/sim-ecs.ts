/**
 * ECS as the simulator serves it: awsJson1_1 (`POST /`, `X-Amz-Target:
 * AmazonEC2ContainerServiceV20141113.<Op>`), `ListClusters`, `ListTasks`, `DescribeTasks`, with
 * `maxResults` / `nextToken` paging and ECS's JSON errors (`{"__type": …, "message": …}` plus
 * `x-amzn-ErrorType`). Fleet instances with `ecs: {cluster, family}` are tasks.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AwsInstance as FleetInstance } from './sim-fleet.js';
import type { SimResponse } from '../../src/kit/index.js';
import { stateOf, zoneOf } from './sim-ec2.js';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
/** ECS's bound for `maxResults` and for the tasks of one `DescribeTasks`. */
export const ECS_MAX_RESULTS = 100;

/** Where the ARNs point. */
export interface EcsScope {
  region: string;
  accountId: string;
}

export function clusterArn(scope: EcsScope, cluster: string): string {
  return `arn:aws:ecs:${scope.region}:${scope.accountId}:cluster/${cluster}`;
}

export function taskId(instance: FleetInstance): string {
  return createHash('sha256').update(instance.id).digest('hex').slice(0, 32);
}

export function taskArn(scope: EcsScope, instance: FleetInstance): string {
  return `arn:aws:ecs:${scope.region}:${scope.accountId}:task/${instance.ecs?.cluster ?? 'default'}/${taskId(instance)}`;
}

/** ECS's JSON error. */
export function ecsError(status: number, type: string, message: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  };
}

function ok(body: unknown): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(body),
  };
}

function invalidParameter(message: string): SimResponse {
  return ecsError(400, 'InvalidParameterException', message);
}

/** Resolves a cluster given by name or ARN; undefined when no task runs in it. */
function findCluster(tasks: readonly FleetInstance[], scope: EcsScope, given: unknown): string | undefined {
  const text = typeof given === 'string' && given !== '' ? given : 'default';
  const name = text.startsWith('arn:') ? text.slice(text.lastIndexOf('/') + 1) : text;
  if (text.startsWith('arn:') && text !== clusterArn(scope, name)) return undefined;
  return tasks.some((t) => t.ecs?.cluster === name) ? name : undefined;
}

function page<T>(items: readonly T[], body: Record<string, unknown>, fleetPageSize: number | undefined) {
  const asked = body.maxResults;
  if (asked !== undefined && (!Number.isInteger(asked) || (asked as number) < 1 || (asked as number) > ECS_MAX_RESULTS)) {
    return { error: invalidParameter('maxResults must be between 1 and 100.') };
  }
  const size = Math.min((asked as number | undefined) ?? ECS_MAX_RESULTS, fleetPageSize ?? ECS_MAX_RESULTS);
  let offset = 0;
  if (typeof body.nextToken === 'string' && body.nextToken !== '') {
    const m = /^ecs-(\d+)$/.exec(Buffer.from(body.nextToken, 'base64url').toString('utf8'));
    if (!m) return { error: invalidParameter('Invalid nextToken.') };
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`ecs-${offset + size}`).toString('base64url') : undefined;
  return { slice, next };
}

/**
 * Serves one ECS operation. `tasks` are the fleet's ECS tasks in the request's region.
 */
export function handleEcs(
  operation: string,
  body: Record<string, unknown>,
  tasks: readonly FleetInstance[],
  scope: EcsScope,
  fleetPageSize: number | undefined,
): SimResponse {
  switch (operation) {
    case 'ListClusters': {
      const names = [...new Set(tasks.map((t) => t.ecs?.cluster ?? 'default'))].sort();
      const paged = page(names, body, fleetPageSize);
      if (paged.error) return paged.error;
      return ok({ clusterArns: paged.slice.map((n) => clusterArn(scope, n)), ...(paged.next ? { nextToken: paged.next } : {}) });
    }
    case 'ListTasks': {
      const cluster = findCluster(tasks, scope, body.cluster);
      if (cluster === undefined) return ecsError(400, 'ClusterNotFoundException', 'Cluster not found.');
      const desired = typeof body.desiredStatus === 'string' ? body.desiredStatus : 'RUNNING';
      const family = typeof body.family === 'string' && body.family !== '' ? body.family : undefined;
      const matching = tasks.filter((t) => t.ecs?.cluster === cluster && (family === undefined || t.ecs.family === family) && desiredStatus(t) === desired);
      const paged = page(matching, body, fleetPageSize);
      if (paged.error) return paged.error;
      return ok({ taskArns: paged.slice.map((t) => taskArn(scope, t)), ...(paged.next ? { nextToken: paged.next } : {}) });
    }
    case 'DescribeTasks': {
      const cluster = findCluster(tasks, scope, body.cluster);
      if (cluster === undefined) return ecsError(400, 'ClusterNotFoundException', 'Cluster not found.');
      const wanted = Array.isArray(body.tasks) ? body.tasks.filter((x): x is string => typeof x === 'string') : [];
      if (wanted.length === 0) return invalidParameter('Tasks cannot be empty.');
      if (wanted.length > ECS_MAX_RESULTS) return invalidParameter('Tasks cannot be longer than 100.');
      const withTags = Array.isArray(body.include) && body.include.includes('TAGS');
      const inCluster = tasks.filter((t) => t.ecs?.cluster === cluster);
      const described: unknown[] = [];
      const failures: unknown[] = [];
      for (const ref of wanted) {
        const task = inCluster.find((t) => taskArn(scope, t) === ref || taskId(t) === ref);
        if (task) described.push(taskJson(task, scope, withTags));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return ok({ tasks: described, failures });
    }
    default:
      return ecsError(400, 'UnknownOperationException', `Unknown operation ${operation}`);
  }
}

function desiredStatus(task: FleetInstance): string {
  return stateOf(task) === 'running' ? 'RUNNING' : 'STOPPED';
}

/** One task as `DescribeTasks` shows it (awsvpc: an ENI attachment with the private IPv4). */
export function taskJson(task: FleetInstance, scope: EcsScope, withTags: boolean): Record<string, unknown> {
  const status = desiredStatus(task);
  const details: Array<{ name: string; value: string }> = [
    { name: 'subnetId', value: 'subnet-0a1b2c3d' },
    { name: 'networkInterfaceId', value: `eni-${taskId(task).slice(0, 17)}` },
    { name: 'macAddress', value: '0a:00:00:00:00:01' },
  ];
  if (task.private_ipv4) {
    details.push({ name: 'privateDnsName', value: `ip-${task.private_ipv4.replaceAll('.', '-')}.ec2.internal` });
    details.push({ name: 'privateIPv4Address', value: task.private_ipv4 });
  }
  const family = task.ecs?.family ?? 'default';
  return {
    taskArn: taskArn(scope, task),
    clusterArn: clusterArn(scope, task.ecs?.cluster ?? 'default'),
    taskDefinitionArn: `arn:aws:ecs:${scope.region}:${scope.accountId}:task-definition/${family}:1`,
    group: `family:${family}`,
    lastStatus: status,
    desiredStatus: status,
    launchType: 'FARGATE',
    availabilityZone: zoneOf(task),
    connectivity: 'CONNECTED',
    attachments: [{ id: taskId(task).slice(0, 8), type: 'ElasticNetworkInterface', status: 'ATTACHED', details }],
    containers: [{ name: family, lastStatus: status, taskArn: taskArn(scope, task) }],
    ...(withTags ? { tags: Object.entries(task.tags ?? {}).map(([key, value]) => ({ key, value })) } : {}),
  };
}

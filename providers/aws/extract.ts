/**
 * Pure: AWS API responses -> targets. No I/O, no SDK runtime (types only), table-tested.
 *
 * The address rules are go-discover's (`provider/aws/aws_discover.go`):
 * - `private_v4`: the instance's `PrivateIpAddress`;
 * - `public_v4`: its `PublicIpAddress`;
 * - `public_v6`: every IPv6 address on every network interface;
 * - ECS tasks: the first attachment detail named `privateIPv4Address`.
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { Target } from '../../src/kit/index.js';
import type { ReadInstance, ReadReservation } from './fields.js';

/** The address kinds AWS offers. `private_v6` is absent on purpose: every AWS IPv6 address is global unicast. */
export type AwsAddrType = 'private_v4' | 'public_v4' | 'public_v6';

/** One tag condition. `value === undefined` means "the tag key exists, with any value". */
export interface TagFilter {
  key: string;
  value?: string;
}

/**
 * Targets from `DescribeInstances` reservations. Instances whose state is known and not
 * `running` are dropped (the API filter already asks for running ones; this guards a racing
 * state change in a later page). Instances without the asked address are skipped, as go-discover does.
 */
export function targetsFromReservations(reservations: readonly ReadReservation[], addrType: AwsAddrType): Target[] {
  const targets: Target[] = [];
  for (const reservation of reservations) {
    for (const instance of reservation.Instances ?? []) {
      const state = instance.State?.Name;
      if (state !== undefined && state !== 'running') continue;
      for (const address of instanceAddresses(instance, addrType)) {
        targets.push(withoutUndefined({ address, id: instance.InstanceId, name: nameTag(instance), zone: instance.Placement?.AvailabilityZone }));
      }
    }
  }
  return targets;
}

/** The addresses of one instance for an address kind, in API order. */
export function instanceAddresses(instance: ReadInstance, addrType: AwsAddrType): string[] {
  switch (addrType) {
    case 'public_v6': {
      const addresses: string[] = [];
      for (const nic of instance.NetworkInterfaces ?? []) {
        for (const ipv6 of nic.Ipv6Addresses ?? []) {
          if (ipv6.Ipv6Address) addresses.push(ipv6.Ipv6Address);
        }
      }
      return addresses;
    }
    case 'public_v4':
      return instance.PublicIpAddress ? [instance.PublicIpAddress] : [];
    case 'private_v4':
      return instance.PrivateIpAddress ? [instance.PrivateIpAddress] : [];
  }
}

/**
 * Targets from `DescribeTasks` tasks: tasks whose desired status is `RUNNING`, that carry every
 * tag in `tags`, with a `privateIPv4Address` attachment detail.
 */
export function targetsFromTasks(tasks: readonly Task[], tags: readonly TagFilter[]): Target[] {
  const targets: Target[] = [];
  for (const task of tasks) {
    if (task.desiredStatus !== 'RUNNING') continue;
    if (!tags.every((want) => (task.tags ?? []).some((tag) => tagMatches(tag.key, tag.value, want)))) continue;
    const address = taskPrivateIpv4(task);
    if (address === undefined) continue;
    targets.push(withoutUndefined({ address, id: task.taskArn, zone: task.availabilityZone, name: task.group }));
  }
  return targets;
}

/** The first attachment detail named `privateIPv4Address` (awsvpc ENI), as go-discover reads it. */
export function taskPrivateIpv4(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    for (const detail of attachment.details ?? []) {
      if (detail.name === 'privateIPv4Address' && detail.value) return detail.value;
    }
  }
  return undefined;
}

/** Whether one tag (`key`, `value`) satisfies a filter. */
export function tagMatches(key: string | undefined, value: string | undefined, want: TagFilter): boolean {
  if (key !== want.key) return false;
  return want.value === undefined || (value ?? '') === want.value;
}

/**
 * EC2 `Filters` for the tag conditions plus `instance-state-name=running`.
 * A key with a value becomes `tag:<key>` = [value]; a bare key becomes `tag-key` = [key].
 */
export function ec2Filters(tags: readonly TagFilter[]): Array<{ Name: string; Values: string[] }> {
  const filters = tags.map((tag) => (tag.value === undefined ? { Name: 'tag-key', Values: [tag.key] } : { Name: `tag:${tag.key}`, Values: [tag.value] }));
  filters.push({ Name: 'instance-state-name', Values: ['running'] });
  return filters;
}

/**
 * Parses the `tags` argument: comma-separated `key=value` (the tag equals the value) or `key`
 * (the tag exists). Returns the filters, or a problem text.
 * @example parseTags('role=nomad-server,env=prod') // [{key:'role',value:'nomad-server'},{key:'env',value:'prod'}]
 */
export function parseTags(items: readonly string[]): { tags: TagFilter[] } | { problem: string } {
  const tags: TagFilter[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (key === '') return { problem: `tags: item "${item}" has an empty tag key (want key=value or key)` };
    tags.push(eq < 0 ? { key } : { key, value: item.slice(eq + 1).trim() });
  }
  return { tags };
}

/** The region field of an ARN (`arn:aws:ecs:us-east-1:123:task/...` -> `us-east-1`), or undefined. */
export function regionFromArn(arn: string): string | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn' || !parts[3]) return undefined;
  return parts[3];
}

function nameTag(instance: ReadInstance): string | undefined {
  return instance.Tags?.find((tag) => tag.Key === 'Name')?.Value;
}

function withoutUndefined(target: Target): Target {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) if (value !== undefined) out[key] = value;
  return out as unknown as Target;
}

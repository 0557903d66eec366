/**
 * CVM `DescribeInstances` (2017-03-12) answers -> targets. Pure; table-tested in extract.test.ts.
 * Wire format: provider-apis.md §8 and the recorded sample in fixtures/.
 */
import type { Target } from '../../src/kit/index.js';

export const ADDRESS_TYPES = ['private_v4', 'public_v4'] as const;
export type TencentAddressType = (typeof ADDRESS_TYPES)[number];

/** The instance fields this provider reads. */
export interface CvmInstance {
  InstanceId?: string;
  InstanceName?: string;
  InstanceState?: string;
  PrivateIpAddresses?: string[] | null;
  PublicIpAddresses?: string[] | null;
  Placement?: { Zone?: string } | null;
}

/** `{"Response": {...}}`: a page, or an error (HTTP 200 either way). */
export interface CvmResponse {
  Response?: {
    TotalCount?: number;
    InstanceSet?: CvmInstance[];
    RequestId?: string;
    Error?: { Code?: string; Message?: string };
  };
}

/** What is wrong with a 200 body that is no DescribeInstances answer, or undefined when it is one. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const response = (body as CvmResponse).Response;
  if (typeof response !== 'object' || response === null) return 'the response has no Response object';
  if (response.Error !== undefined) return undefined;
  if (!Array.isArray(response.InstanceSet)) return 'Response.InstanceSet is not an array';
  if (typeof response.TotalCount !== 'number') return 'Response.TotalCount is not a number';
  for (const [i, instance] of response.InstanceSet.entries()) {
    if (typeof instance !== 'object' || instance === null) return `InstanceSet[${i}] is not an object`;
  }
  return undefined;
}

/**
 * The first private (or public) IPv4 of each instance, as go-discover takes it. Instances without
 * one are left out and counted in `skipped`.
 */
export function cvmTargets(instances: readonly CvmInstance[], type: TencentAddressType): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const instance of instances) {
    const list = type === 'public_v4' ? instance.PublicIpAddresses : instance.PrivateIpAddresses;
    const address = Array.isArray(list) ? list.find((a) => typeof a === 'string' && a !== '') : undefined;
    if (address === undefined) {
      skipped.push(instance.InstanceId ?? '(no id)');
      continue;
    }
    const target: Target = { address };
    if (instance.InstanceId) target.id = instance.InstanceId;
    if (instance.InstanceName) target.name = instance.InstanceName;
    if (instance.Placement?.Zone) target.zone = instance.Placement.Zone;
    targets.push(target);
  }
  return { targets, skipped };
}

/** The request body of one page, filters as go-discover sends them (`instance-state`, `tag:<key>`). */
export function describeBody(tag: { key: string; value: string } | undefined, offset: number, limit: number): string {
  const filters: Array<{ Name: string; Values: string[] }> = [{ Name: 'instance-state', Values: ['RUNNING'] }];
  if (tag) filters.push({ Name: `tag:${tag.key}`, Values: [tag.value] });
  return JSON.stringify({ Filters: filters, Offset: offset, Limit: limit });
}

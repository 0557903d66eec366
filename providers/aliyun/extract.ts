/**
 * ECS `DescribeInstances` (2014-05-26) answers -> targets. Pure; table-tested in extract.test.ts.
 * Wire format: provider-apis.md §9 and the recorded sample in fixtures/.
 */
import type { Target } from '../../src/kit/index.js';

export type AliyunAddressType = 'private_v4' | 'public_v4';

interface IpList {
  IpAddress?: string[] | null;
}

/** The instance fields this provider reads. */
export interface EcsInstance {
  InstanceId?: string;
  InstanceName?: string;
  ZoneId?: string;
  InstanceNetworkType?: string;
  InnerIpAddress?: IpList | null;
  PublicIpAddress?: IpList | null;
  EipAddress?: { IpAddress?: string } | null;
  VpcAttributes?: { PrivateIpAddress?: IpList | null } | null;
}

export interface EcsPage {
  RequestId?: string;
  TotalCount?: number;
  PageNumber?: number;
  PageSize?: number;
  NextToken?: string;
  Instances?: { Instance?: EcsInstance[] };
}

/** What is wrong with a 200 body that is no DescribeInstances answer, or undefined when it is one. */
export function malformedPage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the response is not a JSON object';
  const page = body as EcsPage;
  if (typeof page.Instances !== 'object' || page.Instances === null || !Array.isArray(page.Instances.Instance)) {
    return 'Instances.Instance is not an array';
  }
  if (typeof page.TotalCount !== 'number') return 'TotalCount is not a number';
  for (const [i, instance] of page.Instances.Instance.entries()) {
    if (typeof instance !== 'object' || instance === null) return `Instances.Instance[${i}] is not an object`;
  }
  return undefined;
}

const ips = (list: IpList | null | undefined): string[] =>
  Array.isArray(list?.IpAddress) ? list.IpAddress.filter((a) => typeof a === 'string' && a !== '') : [];

/**
 * `private_v4` as go-discover: every `InnerIpAddress` of a classic instance, every
 * `VpcAttributes.PrivateIpAddress` of a vpc one. `public_v4`: every `PublicIpAddress`, else the EIP.
 * Instances without one are left out and counted in `skipped`.
 */
export function ecsTargets(instances: readonly EcsInstance[], type: AliyunAddressType): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const instance of instances) {
    let addresses: string[];
    if (type === 'public_v4') {
      addresses = ips(instance.PublicIpAddress);
      if (addresses.length === 0 && instance.EipAddress?.IpAddress) addresses = [instance.EipAddress.IpAddress];
    } else if (instance.InstanceNetworkType === 'classic') addresses = ips(instance.InnerIpAddress);
    else if (instance.InstanceNetworkType === 'vpc') addresses = ips(instance.VpcAttributes?.PrivateIpAddress);
    else addresses = [];
    if (addresses.length === 0) {
      skipped.push(instance.InstanceId ?? '(no id)');
      continue;
    }
    for (const address of addresses) {
      const target: Target = { address };
      if (instance.InstanceId) target.id = instance.InstanceId;
      if (instance.InstanceName) target.name = instance.InstanceName;
      if (instance.ZoneId) target.zone = instance.ZoneId;
      targets.push(target);
    }
  }
  return { targets, skipped };
}

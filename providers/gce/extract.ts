/**
 * Pure: compute v1 `Instance` objects (as the SDK decodes them) -> targets.
 * No SDK import: the shapes below are the subset of `google.cloud.compute.v1.IInstance` we read,
 * so the table tests run without a server and without loading the 11 MB protobuf root.
 */
import type { Target } from '../../src/kit/index.js';

/** `AccessConfig`: an external IPv4 (`natIP`) or an external IPv6 (`externalIpv6`). */
export interface GceAccessConfig {
  natIP?: string | null;
  externalIpv6?: string | null;
}

/** `NetworkInterface`: `networkIP` is the internal IPv4, `ipv6Address` the internal IPv6. */
export interface GceNetworkInterface {
  name?: string | null;
  networkIP?: string | null;
  ipv6Address?: string | null;
  accessConfigs?: GceAccessConfig[] | null;
  ipv6AccessConfigs?: GceAccessConfig[] | null;
}

/** The fields of a compute v1 `Instance` that discovery reads. */
export interface GceInstance {
  id?: string | number | null;
  name?: string | null;
  /** Full URL (`https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a`) or a bare name. */
  zone?: string | null;
  status?: string | null;
  labels?: Record<string, string> | null;
  tags?: { items?: string[] | null } | null;
  networkInterfaces?: GceNetworkInterface[] | null;
}

/** Which address an instance contributes. */
export type GceAddrType = 'private_v4' | 'public_v4' | 'private_v6' | 'public_v6';

/** What an instance must match to be kept (the server filters too; this is the client-side check). */
export interface GceSelection {
  addrType: GceAddrType;
  /** Network tag the instance must carry (`tags.items`). */
  tagValue?: string | undefined;
  /** Label that must be present with this exact value. */
  labelKey?: string | undefined;
  labelValue?: string | undefined;
  /** Accepted `status` values (upper case); undefined accepts any status. */
  statuses?: ReadonlySet<string> | undefined;
}

/** The address of one network interface for an address type, or undefined. */
export function nicAddress(nic: GceNetworkInterface, addrType: GceAddrType): string | undefined {
  switch (addrType) {
    case 'private_v4':
      return nic.networkIP || undefined;
    case 'private_v6':
      return nic.ipv6Address || undefined;
    case 'public_v4':
      return nic.accessConfigs?.find((ac) => ac.natIP)?.natIP ?? undefined;
    case 'public_v6':
      return nic.ipv6AccessConfigs?.find((ac) => ac.externalIpv6)?.externalIpv6 ?? undefined;
  }
}

/**
 * The instance's address: the primary NIC's (nic0, as go-discover reads `networkInterfaces[0]`),
 * else the first other NIC that has one of that kind (a public IP may sit on nic1 only).
 */
export function instanceAddress(instance: GceInstance, addrType: GceAddrType): string | undefined {
  for (const nic of instance.networkInterfaces ?? []) {
    const address = nicAddress(nic, addrType);
    if (address) return address;
  }
  return undefined;
}

/** `.../zones/us-central1-a` -> `us-central1-a`. */
export function zoneName(zone: string | null | undefined): string | undefined {
  if (!zone) return undefined;
  return zone.slice(zone.lastIndexOf('/') + 1) || undefined;
}

/** Whether the instance matches the tag, label and status selection. */
export function matches(instance: GceInstance, selection: GceSelection): boolean {
  if (selection.statuses && !selection.statuses.has(String(instance.status ?? '').toUpperCase())) return false;
  if (selection.tagValue !== undefined && !(instance.tags?.items ?? []).includes(selection.tagValue)) return false;
  if (selection.labelKey !== undefined && instance.labels?.[selection.labelKey] !== selection.labelValue) return false;
  return true;
}

/** Instances -> targets, in API order; instances without an address of the requested kind are skipped. */
export function extractTargets(instances: Iterable<GceInstance>, selection: GceSelection): Target[] {
  const targets: Target[] = [];
  for (const instance of instances) {
    if (!matches(instance, selection)) continue;
    const address = instanceAddress(instance, selection.addrType);
    if (!address) continue;
    const target: Target = { address };
    if (instance.id !== undefined && instance.id !== null && instance.id !== '') target.id = String(instance.id);
    if (instance.name) target.name = instance.name;
    const zone = zoneName(instance.zone);
    if (zone) target.zone = zone;
    if (instance.status) target.meta = { status: instance.status };
    targets.push(target);
  }
  return targets;
}

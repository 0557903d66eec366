/**
 * Pure Azure extraction: ARM objects (as the SDKs return them, `properties` flattened) -> targets.
 * No I/O here; `index.ts`/`client.ts` fetch the pages and call these.
 */
import type { Target } from '../../src/kit/index.js';
import type { NicLike, PublicIpLike } from './fields.js';

export type { NicLike, PublicIpLike };

/** The subset of `@azure/arm-compute`'s `VirtualMachine` this provider reads. */
export interface VmLike {
  id?: string;
  name?: string;
  virtualMachineScaleSet?: { id?: string };
  networkProfile?: { networkInterfaces?: Array<{ id?: string }> };
}

/** The address kinds Azure offers (IPv6 needs a dual-stack VNet and IPv6 public IPs). */
export const AZURE_ADDR_TYPES = ['private_v4', 'public_v4', 'private_v6', 'public_v6'] as const;
export type AzureAddrType = (typeof AZURE_ADDR_TYPES)[number];

/** ARM resource ids are case-insensitive; every join uses this key. */
export function idKey(id: string): string {
  return id.toLowerCase();
}

/**
 * go-discover's tag test: the tag must be on the NIC, compared exactly (key and value are
 * case-sensitive, as in Go's map lookup).
 */
export function nicHasTag(nic: NicLike, tagName: string, tagValue: string): boolean {
  const tags = nic.tags;
  return tags !== undefined && Object.hasOwn(tags, tagName) && tags[tagName] === tagValue;
}

function isV6(address: string, declaredVersion: string | undefined): boolean {
  if (declaredVersion) return declaredVersion.toLowerCase() === 'ipv6';
  return address.includes(':');
}

/**
 * The fields of a NIC this provider reads, copied out of an SDK model so the page (and the
 * SDK's much larger objects) can be dropped while the next page is fetched.
 */
export function compactNic(nic: NicLike): NicLike {
  const out: NicLike = {};
  if (nic.id) out.id = nic.id;
  if (nic.name) out.name = nic.name;
  if (nic.location) out.location = nic.location;
  if (nic.virtualMachine?.id) out.virtualMachine = { id: nic.virtualMachine.id };
  out.ipConfigurations = (nic.ipConfigurations ?? []).map((config) => {
    const compact: NonNullable<NicLike['ipConfigurations']>[number] = {};
    if (config.privateIPAddress) compact.privateIPAddress = config.privateIPAddress;
    if (config.privateIPAddressVersion) compact.privateIPAddressVersion = config.privateIPAddressVersion;
    const pip = config.publicIPAddress;
    if (pip) compact.publicIPAddress = { ...(pip.id ? { id: pip.id } : {}), ...(pip.ipAddress ? { ipAddress: pip.ipAddress } : {}) };
    return compact;
  });
  return out;
}

/** The fields of a public IP resource this provider reads (see {@link compactNic}). */
export function compactPublicIp(pip: PublicIpLike): PublicIpLike {
  const out: PublicIpLike = {};
  if (pip.id) out.id = pip.id;
  if (pip.ipAddress) out.ipAddress = pip.ipAddress;
  if (pip.publicIPAddressVersion) out.publicIPAddressVersion = pip.publicIPAddressVersion;
  return out;
}

/** Public IP resources by lower-cased id, for the NIC -> public address join. */
export function publicIpIndex(publicIps: Iterable<PublicIpLike>): Map<string, PublicIpLike> {
  const index = new Map<string, PublicIpLike>();
  for (const pip of publicIps) if (pip.id) index.set(idKey(pip.id), pip);
  return index;
}

/**
 * Every address of the chosen kind on every IP configuration of the given NICs, in API order.
 * A private address comes from `privateIPAddress`; a public one from the public IP resource the
 * configuration references (`publicIPAddress.id`, looked up in `publicIps`; an inline
 * `ipAddress`, as an expanded response carries, is used when present). A configuration without
 * that kind of address (no public IP, a deallocated dynamic IP) is skipped.
 */
export function nicTargets(nics: Iterable<NicLike>, addrType: AzureAddrType, publicIps: ReadonlyMap<string, PublicIpLike> = new Map()): Target[] {
  const wantV6 = addrType.endsWith('_v6');
  const wantPublic = addrType.startsWith('public_');
  const targets: Target[] = [];
  for (const nic of nics) {
    for (const config of nic.ipConfigurations ?? []) {
      let address: string | undefined;
      let version: string | undefined;
      if (wantPublic) {
        const ref = config.publicIPAddress;
        if (!ref) continue;
        const resource = ref.id ? publicIps.get(idKey(ref.id)) : undefined;
        address = ref.ipAddress || resource?.ipAddress;
        version = resource?.publicIPAddressVersion;
      } else {
        address = config.privateIPAddress;
        version = config.privateIPAddressVersion;
      }
      if (!address || isV6(address, version) !== wantV6) continue;
      const target: Target = { address };
      const vmId = nic.virtualMachine?.id;
      if (vmId) target.id = vmId;
      else if (nic.id) target.id = nic.id;
      if (nic.name) target.name = nic.name;
      if (nic.location) target.zone = nic.location;
      if (nic.id) target.meta = { nic: nic.id };
      targets.push(target);
    }
  }
  return targets;
}

/**
 * The NICs that belong to a Flexible-orchestration scale set: the set's VMs carry
 * `virtualMachineScaleSet.id`; their NICs are ordinary NICs that name the VM
 * (`virtualMachine.id`) and that the VM lists in `networkProfile`. Either link is enough.
 */
export function flexibleScaleSetNics(vms: Iterable<VmLike>, nics: Iterable<NicLike>, resourceGroup: string, scaleSet: string): NicLike[] {
  const suffix = idKey(`/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${scaleSet}`);
  const vmIds = new Set<string>();
  const nicIds = new Set<string>();
  for (const vm of vms) {
    const setId = vm.virtualMachineScaleSet?.id;
    if (!setId || !idKey(setId).endsWith(suffix)) continue;
    if (vm.id) vmIds.add(idKey(vm.id));
    for (const ref of vm.networkProfile?.networkInterfaces ?? []) if (ref.id) nicIds.add(idKey(ref.id));
  }
  const members: NicLike[] = [];
  for (const nic of nics) {
    const byNic = nic.id !== undefined && nicIds.has(idKey(nic.id));
    const byVm = nic.virtualMachine?.id !== undefined && vmIds.has(idKey(nic.virtualMachine.id));
    if (byNic || byVm) members.push(nic);
  }
  return members;
}

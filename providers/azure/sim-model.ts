/**
 * The fleet's Azure instances as ARM resources, in ARM's wire format (`properties` not
 * flattened): virtual machines, scale sets, network interfaces and public IP addresses.
 * Built once per fleet object; `appear_after_ms` is applied when a list is served.
 */
import { createHash } from 'node:crypto';
import type { Fleet, FleetInstance } from '../../src/kit/index.js';
import type { AzureInstance } from './sim-fleet.js';

/** Defaults for instances that leave these out. */
export const DEFAULT_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_RESOURCE_GROUP = 'autojoin';
export const DEFAULT_LOCATION = 'westeurope';

type Json = Record<string, unknown>;

/**
 * One resource, rendered when a page holding it is served (10,000 VMs' JSON kept resident would
 * cost the benchmark ~50 MB), plus when it becomes visible (ms of sim time).
 */
export interface Placed {
  render(): Json;
  appearAfterMs: number;
  /** VMs only: the Flexible scale set the VM belongs to. */
  scaleSetId?: string;
}

/** A public IP resource to be: its id and version now, its JSON when served. */
interface PublicIpRef {
  id: string;
  version: 'IPv4' | 'IPv6';
  render(): Json;
}

/** The ARM estate of one subscription. Keys of the maps are lower-cased (ARM is case-insensitive). */
export interface Subscription {
  id: string;
  resourceGroups: Set<string>;
  /** Stand-alone and Flexible-set VMs (Uniform-set instances are not `virtualMachines`). */
  vms: Array<Placed & { rg: string }>;
  /** NICs that `Microsoft.Network/networkInterfaces` lists (not Uniform-set NICs). */
  nics: Array<Placed & { rg: string }>;
  publicIps: Array<Placed & { rg: string }>;
  /** By `rg/name`. */
  scaleSets: Map<string, ScaleSet>;
}

export interface ScaleSet {
  resource: Json;
  rg: string;
  mode: 'Uniform' | 'Flexible';
  /** Uniform only: the instances' NICs and public IPs (served under the scale set). */
  nics: Placed[];
  publicIps: Placed[];
}

export interface ArmModel {
  subscriptions: Map<string, Subscription>;
}

const models = new WeakMap<Fleet, ArmModel>();

/** The ARM model of `fleet`, built on first use. */
export function armModel(fleet: Fleet): ArmModel {
  let model = models.get(fleet);
  if (!model) {
    model = buildModel(fleet);
    models.set(fleet, model);
  }
  return model;
}

function guid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function etag(seed: string): string {
  return `W/"${guid(`etag:${seed}`)}"`;
}

function mac(seed: string): string {
  const h = createHash('sha1').update(`mac:${seed}`).digest('hex').toUpperCase();
  return `00-0D-3A-${h.slice(0, 2)}-${h.slice(2, 4)}-${h.slice(4, 6)}`;
}

function subscriptionFor(sub: string): Subscription {
  return {
    id: sub,
    resourceGroups: new Set([DEFAULT_RESOURCE_GROUP]),
    vms: [],
    nics: [],
    publicIps: [],
    scaleSets: new Map(),
  };
}

interface NicSpec {
  private_ipv4?: string;
  public_ipv4?: string;
  private_ipv6?: string;
  public_ipv6?: string;
}

function buildModel(fleet: Fleet): ArmModel {
  const defaultSub = fleet.credentials.azure?.subscription_id ?? DEFAULT_SUBSCRIPTION;
  const subscriptions = new Map<string, Subscription>();
  const subOf = (id: string): Subscription => {
    const key = id.toLowerCase();
    let sub = subscriptions.get(key);
    if (!sub) {
      sub = subscriptionFor(id);
      subscriptions.set(key, sub);
    }
    return sub;
  };
  subOf(defaultSub);

  const uniformIndex = new Map<string, number>();
  for (const inst of fleet.instances as AzureInstance[]) {
    if (inst.cloud !== 'azure') continue;
    const sub = subOf(inst.subscription ?? defaultSub);
    const rg = inst.resource_group ?? DEFAULT_RESOURCE_GROUP;
    sub.resourceGroups.add(rg.toLowerCase());
    const location = inst.region ?? DEFAULT_LOCATION;
    const appearAfterMs = inst.appear_after_ms ?? 0;
    const rgPath = `/subscriptions/${sub.id}/resourceGroups/${rg}`;
    const deallocated = inst.state === 'deallocated' || inst.state === 'stopped';

    let set: ScaleSet | undefined;
    if (inst.scale_set) {
      const key = `${rg}/${inst.scale_set}`.toLowerCase();
      set = sub.scaleSets.get(key);
      if (!set) {
        const mode = inst.orchestration === 'flexible' ? 'Flexible' : 'Uniform';
        set = { resource: scaleSetJson(rgPath, inst.scale_set, location, mode), rg, mode, nics: [], publicIps: [] };
        sub.scaleSets.set(key, set);
      }
      const sku = set.resource.sku as { capacity: number };
      sku.capacity++;
    }

    const nicSpecs: NicSpec[] = [inst, ...(inst.extra_nics ?? [])];
    if (set?.mode === 'Uniform') {
      const key = `${sub.id}/${rg}/${inst.scale_set}`.toLowerCase();
      const index = uniformIndex.get(key) ?? 0;
      uniformIndex.set(key, index + 1);
      const vmPath = `${rgPath}/providers/Microsoft.Compute/virtualMachineScaleSets/${inst.scale_set}/virtualMachines/${index}`;
      nicSpecs.forEach((spec, n) => {
        const nicName = `${inst.scale_set}-nic${n}`;
        const nicId = `${vmPath}/networkInterfaces/${nicName}`;
        const pips = publicIpsFor(spec, location, deallocated, (name) => `${nicId}/ipConfigurations/ipconfig1/publicIPAddresses/${name}`);
        set.nics.push({ render: () => nicJson(nicId, nicName, location, inst, spec, n === 0, vmPath, pips), appearAfterMs });
        for (const pip of pips) set.publicIps.push({ render: pip.render, appearAfterMs });
      });
      continue;
    }

    const vmName = inst.name ?? inst.id;
    const vmId = `${rgPath}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
    const nicIds: string[] = [];
    nicSpecs.forEach((spec, n) => {
      const nicName = `${vmName}-nic${n}`;
      const nicId = `${rgPath}/providers/Microsoft.Network/networkInterfaces/${nicName}`;
      nicIds.push(nicId);
      const pips = publicIpsFor(spec, location, deallocated, (name) => `${rgPath}/providers/Microsoft.Network/publicIPAddresses/${vmName}-${name}${n}`);
      sub.nics.push({ render: () => nicJson(nicId, nicName, location, inst, spec, n === 0, vmId, pips), appearAfterMs, rg });
      for (const pip of pips) sub.publicIps.push({ render: pip.render, appearAfterMs, rg });
    });
    const scaleSetId = set?.resource.id as string | undefined;
    sub.vms.push({
      render: () => vmJson(vmId, vmName, location, inst, nicIds, scaleSetId),
      appearAfterMs,
      rg,
      ...(scaleSetId ? { scaleSetId } : {}),
    });
  }
  return { subscriptions };
}

function scaleSetJson(rgPath: string, name: string, location: string, mode: 'Uniform' | 'Flexible'): Json {
  const id = `${rgPath}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
  const properties: Json = {
    orchestrationMode: mode,
    provisioningState: 'Succeeded',
    uniqueId: guid(id),
    platformFaultDomainCount: 1,
    singlePlacementGroup: false,
    timeCreated: '2026-01-01T00:00:00.0000000+00:00',
  };
  if (mode === 'Uniform') {
    properties.upgradePolicy = { mode: 'Manual' };
    properties.overprovision = false;
  }
  return {
    name,
    id,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location,
    sku: { name: 'Standard_B2s', tier: 'Standard', capacity: 0 },
    properties,
  };
}

/** Public IP resources for one NIC: `pip` (IPv4) and `pip6` (IPv6). A deallocated VM's dynamic IP has no address. */
function publicIpsFor(spec: NicSpec, location: string, deallocated: boolean, idFor: (name: string) => string): PublicIpRef[] {
  const out: PublicIpRef[] = [];
  const add = (name: string, address: string, version: 'IPv4' | 'IPv6') => {
    const id = idFor(name);
    out.push({ id, version, render: () => publicIpJson(id, address, version, location, deallocated) });
  };
  if (spec.public_ipv4) add('pip', spec.public_ipv4, 'IPv4');
  if (spec.public_ipv6) add('pip6', spec.public_ipv6, 'IPv6');
  return out;
}

function publicIpJson(id: string, address: string, version: 'IPv4' | 'IPv6', location: string, deallocated: boolean): Json {
  {
    const properties: Json = {
      provisioningState: 'Succeeded',
      resourceGuid: guid(id),
      publicIPAddressVersion: version,
      publicIPAllocationMethod: deallocated ? 'Dynamic' : 'Static',
      idleTimeoutInMinutes: 4,
      ipTags: [],
    };
    if (!deallocated) properties.ipAddress = address;
    return {
      name: id.slice(id.lastIndexOf('/') + 1),
      id,
      etag: etag(id),
      location,
      type: 'Microsoft.Network/publicIPAddresses',
      sku: { name: deallocated ? 'Basic' : 'Standard', tier: 'Regional' },
      properties,
    };
  }
}

function nicJson(
  id: string,
  name: string,
  location: string,
  inst: FleetInstance,
  spec: NicSpec,
  primary: boolean,
  vmId: string,
  publicIps: PublicIpRef[],
): Json {
  const subnetId = `${id.split('/providers/')[0]}/providers/Microsoft.Network/virtualNetworks/autojoin-vnet/subnets/default`;
  const configs: Json[] = [];
  const v4Pip = publicIps.find((p) => p.version === 'IPv4');
  const v6Pip = publicIps.find((p) => p.version === 'IPv6');
  const config = (configName: string, address: string | undefined, version: 'IPv4' | 'IPv6', isPrimary: boolean, pip: PublicIpRef | undefined) => {
    const configId = `${id}/ipConfigurations/${configName}`;
    const properties: Json = {
      provisioningState: 'Succeeded',
      privateIPAllocationMethod: 'Dynamic',
      privateIPAddressVersion: version,
      subnet: { id: subnetId },
      primary: isPrimary,
    };
    if (address) properties.privateIPAddress = address;
    if (pip) properties.publicIPAddress = { id: pip.id };
    configs.push({ name: configName, id: configId, etag: etag(configId), type: 'Microsoft.Network/networkInterfaces/ipConfigurations', properties });
  };
  if (spec.private_ipv4 || v4Pip) config('ipconfig1', spec.private_ipv4, 'IPv4', true, v4Pip);
  if (spec.private_ipv6 || v6Pip) config('ipconfig-v6', spec.private_ipv6, 'IPv6', configs.length === 0, v6Pip);
  const resource: Json = {
    name,
    id,
    etag: etag(id),
    location,
    type: 'Microsoft.Network/networkInterfaces',
    properties: {
      provisioningState: 'Succeeded',
      resourceGuid: guid(id),
      ipConfigurations: configs,
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      macAddress: mac(id),
      enableAcceleratedNetworking: false,
      enableIPForwarding: false,
      primary,
      virtualMachine: { id: vmId },
      nicType: 'Standard',
      vnetEncryptionSupported: false,
    },
  };
  if (inst.tags) resource.tags = { ...inst.tags };
  return resource;
}

function vmJson(id: string, name: string, location: string, inst: FleetInstance, nicIds: string[], scaleSetId: string | undefined): Json {
  const properties: Json = {
    vmId: guid(id),
    hardwareProfile: { vmSize: 'Standard_B2s' },
    provisioningState: 'Succeeded',
    osProfile: { computerName: name, adminUsername: 'azureuser' },
    networkProfile: {
      networkInterfaces: nicIds.map((nicId, n) => ({ id: nicId, properties: { primary: n === 0 } })),
    },
    timeCreated: '2026-01-01T00:00:00.0000000+00:00',
  };
  if (scaleSetId) properties.virtualMachineScaleSet = { id: scaleSetId };
  const resource: Json = { name, id, type: 'Microsoft.Compute/virtualMachines', location, properties };
  if (inst.tags) resource.tags = { ...inst.tags };
  if (inst.zone) resource.zones = [inst.zone.replace(/^.*-/, '')];
  return resource;
}

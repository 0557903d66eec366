/**
 * What the Azure simulator adds to the fleet file: resource groups, scale sets (Uniform and
 * Flexible), subscriptions, the Entra ID credential block, and the Azure part of the demo fleet.
 */
import { benchAddress, type FleetInstance, type FleetModuleSpec } from '../../src/kit/index.js';

/** An instance as the Azure simulator reads it: a VM, or a scale-set VM. */
export interface AzureInstance extends FleetInstance {
  resource_group?: string;
  scale_set?: string;
  orchestration?: 'uniform' | 'flexible';
  subscription?: string;
}

const text = (help: string) => ({
  help,
  check: (value: unknown, where: string, check: { string(v: unknown, w: string): string | undefined }) => check.string(value, where),
});

export const azureFleet: FleetModuleSpec = {
  summary: 'VMs with one NIC per address set (`tags` are the NIC tags; `region` is the location), VM scale sets.',
  instanceFields: {
    resource_group: text('The resource group. @default autojoin-sim'),
    scale_set: text('Makes the VM a member of this VM scale set.'),
    orchestration: {
      help: 'The scale set mode: `uniform` (VMSS NICs API) or `flexible` (regular VMs and NICs). @default uniform',
      check: (value, where, check) => check.oneOf(value, where, ['uniform', 'flexible'] as const),
    },
    subscription: text("The subscription id. @default the credential block's subscription_id"),
  },
  credentials: {
    tenant_id: { help: 'The Entra ID tenant tokens are issued for.' },
    client_id: { help: 'The app registration (client credentials flow).' },
    client_secret: { help: 'Its secret.' },
    subscription_id: { help: 'The default subscription of the estate.' },
  },
  validateInstance(instance, where, check) {
    if (instance.orchestration !== undefined && instance.scale_set === undefined) {
      check.problems.push(`${where}.orchestration: needs scale_set`);
    }
  },
  demo: {
    credentials: {
      azure: {
        tenant_id: '00000000-0000-0000-0000-000000000000',
        client_id: '11111111-1111-1111-1111-111111111111',
        client_secret: 'simulator-client-secret-not-real',
        subscription_id: '22222222-2222-2222-2222-222222222222',
      },
    },
    instances: [
      {
        id: 'nomad-vm-1',
        cloud: 'azure',
        name: 'nomad-vm-1',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        tags: {
          role: 'nomad-server',
        },
        private_ipv4: '10.1.0.11',
        public_ipv4: '198.51.100.11',
      },
      {
        id: 'nomad-vm-2',
        cloud: 'azure',
        name: 'nomad-vm-2',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        tags: {
          role: 'nomad-server',
        },
        private_ipv4: '10.1.0.12',
        public_ipv4: '198.51.100.12',
      },
      {
        id: 'nomad-vm-3',
        cloud: 'azure',
        name: 'nomad-vm-3',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        tags: {
          role: 'nomad-server',
        },
        private_ipv4: '10.1.0.13',
      },
      {
        id: 'nomad-vmss-0',
        cloud: 'azure',
        name: 'nomad-vmss_0',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        scale_set: 'nomad-vmss',
        orchestration: 'uniform',
        private_ipv4: '10.1.1.4',
      },
      {
        id: 'nomad-vmss-1',
        cloud: 'azure',
        name: 'nomad-vmss_1',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        scale_set: 'nomad-vmss',
        orchestration: 'uniform',
        private_ipv4: '10.1.1.5',
      },
      {
        id: 'nomad-flex-a',
        cloud: 'azure',
        name: 'nomad-flex_a1b2c3',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        scale_set: 'nomad-flex',
        orchestration: 'flexible',
        private_ipv4: '10.1.2.4',
      },
      {
        id: 'nomad-flex-b',
        cloud: 'azure',
        name: 'nomad-flex_d4e5f6',
        region: 'westeurope',
        resource_group: 'nomad-rg',
        scale_set: 'nomad-flex',
        orchestration: 'flexible',
        private_ipv4: '10.1.2.5',
      },
    ],
  },
  bench: (i) => ({
    id: `vm-${i}`,
    cloud: 'azure',
    region: 'westeurope',
    resource_group: `rg-${i % 10}`,
    tags: { role: 'nomad-server', Name: `node-${i}` },
    private_ipv4: benchAddress(11, i),
  }),
};

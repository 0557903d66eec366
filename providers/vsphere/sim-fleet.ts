/**
 * What the vSphere simulator adds to the fleet file: the vCenter user and password, VMware Tools
 * state per VM, and the demo VMs. An instance's `tags` map is its vSphere tags: each key a
 * category name, each value a tag name in that category.
 */
import { benchAddress, type FleetModuleSpec } from '../../src/kit/index.js';

export const vsphereFleet: FleetModuleSpec = {
  summary:
    'VMs: `tags` are vSphere tags (`category: tag`); every NIC address (`private_ipv4`, `public_ipv4`, `private_ipv6`, `public_ipv6`, `extra_nics`) is a guest address, each NIC with its own link-local IPv6 as guests report it; an id `vm-N` is the VM id.',
  instanceFields: {
    vmware_tools: {
      help: '`false`: the guest has no VMware Tools data (its `guest.net` is unset in RetrievePropertiesEx answers, as for a powered-off VM). @default true',
      check: (value, where, check) => check.bool(value, where),
    },
  },
  credentials: {
    user: { help: 'The vCenter user `POST /api/session` (HTTP Basic) and the SOAP `Login` accept.', required: true },
    password: { help: "The user's password; others get 401 `UNAUTHENTICATED` (REST) or an `InvalidLogin` fault (SOAP).", required: true },
  },
  demo: {
    credentials: { vsphere: { user: 'discover@vsphere.local', password: 'simulator-vsphere-password-not-real' } },
    instances: [
      { id: 'vm-1001', cloud: 'vsphere', name: 'consul-vc-1', tags: { 'consul-role': 'consul-server' }, private_ipv4: '10.13.0.11' },
      {
        id: 'vm-1002',
        cloud: 'vsphere',
        name: 'consul-vc-2',
        tags: { 'consul-role': 'consul-server' },
        private_ipv4: '10.13.0.12',
        private_ipv6: '2001:db8:6::12',
      },
      { id: 'vm-1003', cloud: 'vsphere', name: 'consul-vc-3', tags: { 'consul-role': 'consul-server' }, private_ipv4: '10.13.0.13', vmware_tools: false },
      { id: 'vm-1004', cloud: 'vsphere', name: 'web-vc-1', tags: { 'consul-role': 'consul-client' }, private_ipv4: '10.13.1.11' },
    ],
  },
  bench: (i) => ({ id: `vm-${100_000 + i}`, cloud: 'vsphere', name: `vc-${i}`, tags: { 'nomad-role': 'server' }, private_ipv4: benchAddress(19, i) }),
};

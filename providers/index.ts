/**
 * The composition: the built-in providers, one line each (descriptor and simulator module, both
 * loaded lazily, so no cloud SDK is imported until its provider runs). The package's entry points
 * hand this list to the engine, the CLI and the simulator; nothing under `src/` imports it.
 * Adding a provider: create `providers/<name>/` (see docs/plugins.md) and add its line here.
 */
import type { ProviderEntry } from '../src/builtins.js';

export const builtins: readonly ProviderEntry[] = [
  { name: 'aliyun', provider: () => import('./aliyun/index.js'), sim: () => import('./aliyun/sim.js') },
  { name: 'aws', provider: () => import('./aws/index.js'), sim: () => import('./aws/sim.js') },
  { name: 'azure', provider: () => import('./azure/index.js'), sim: () => import('./azure/sim.js') },
  { name: 'consul', provider: () => import('./consul/index.js'), sim: () => import('./consul/sim.js') },
  { name: 'digitalocean', provider: () => import('./digitalocean/index.js'), sim: () => import('./digitalocean/sim.js') },
  { name: 'gce', provider: () => import('./gce/index.js'), sim: () => import('./gce/sim.js') },
  { name: 'hetzner', provider: () => import('./hetzner/index.js'), sim: () => import('./hetzner/sim.js') },
  { name: 'k8s', provider: () => import('./k8s/index.js'), sim: () => import('./k8s/sim.js') },
  { name: 'linode', provider: () => import('./linode/index.js'), sim: () => import('./linode/sim.js') },
  { name: 'mdns', provider: () => import('./mdns/index.js') },
  { name: 'os', provider: () => import('./os/index.js'), sim: () => import('./os/sim.js') },
  { name: 'packet', provider: () => import('./packet/index.js'), sim: () => import('./packet/sim.js') },
  { name: 'scaleway', provider: () => import('./scaleway/index.js'), sim: () => import('./scaleway/sim.js') },
  { name: 'softlayer', provider: () => import('./softlayer/index.js'), sim: () => import('./softlayer/sim.js') },
  { name: 'srv', provider: () => import('./srv/index.js') },
  { name: 'tencentcloud', provider: () => import('./tencentcloud/index.js'), sim: () => import('./tencentcloud/sim.js') },
  { name: 'triton', provider: () => import('./triton/index.js'), sim: () => import('./triton/sim.js') },
  { name: 'vsphere', provider: () => import('./vsphere/index.js'), sim: () => import('./vsphere/sim.js') },
];

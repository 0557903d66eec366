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
  { name: 'gce', provider: () => import('./gce/index.js'), sim: () => import('./gce/sim.js') },
  { name: 'mdns', provider: () => import('./mdns/index.js') },
  { name: 'srv', provider: () => import('./srv/index.js') },
  { name: 'tencentcloud', provider: () => import('./tencentcloud/index.js'), sim: () => import('./tencentcloud/sim.js') },
  { name: 'triton', provider: () => import('./triton/index.js'), sim: () => import('./triton/sim.js') },
];

/**
 * The built-in providers, as lazy loaders: no cloud SDK is imported until its provider runs.
 * A new provider adds one line here (and, when it has a simulated API, one in ./sims.ts).
 */
import type { AnyProvider } from '../src/provider.js';
import type { SimModule } from '../src/sim/types.js';

type Loader<T> = () => Promise<{ default: T }>;

export const builtinProviders: Record<string, Loader<AnyProvider>> = {
  aws: () => import('./aws/index.js'),
  azure: () => import('./azure/index.js'),
  consul: () => import('./consul/index.js'),
  gce: () => import('./gce/index.js'),
  mdns: () => import('./mdns/index.js'),
  srv: () => import('./srv/index.js'),
};

/** Simulated APIs, by provider name, for `discover sim`. */
export const builtinSims: Record<string, Loader<SimModule>> = {
  aws: () => import('./aws/sim.js'),
  azure: () => import('./azure/sim.js'),
  consul: () => import('./consul/sim.js'),
  gce: () => import('./gce/sim.js'),
  intro: () => import('../src/intro/sim.js'),
};

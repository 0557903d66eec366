/**
 * The slot through which the composition hands the built-in providers to the engine, the CLI
 * and the simulator. `src/` never imports `providers/`: the package's entry points (`entry/`)
 * fill this slot from `providers/index.ts`, and an embedding program may fill it with its own set.
 */
import type { AnyProvider } from './provider.js';
import type { SimModule } from './sim/types.js';

/** One provider as a composition lists it: lazy loaders, so nothing heavy loads until used. */
export interface ProviderEntry {
  /** The `provider=` value; must equal the descriptor's `name`. */
  name: string;
  /** Loads the descriptor (its module must not import an SDK at the top). */
  provider: () => Promise<{ default: AnyProvider }>;
  /** Loads the provider's simulator module, when it has a simulated API. */
  sim?: () => Promise<{ default: SimModule }>;
}

let composed: readonly ProviderEntry[] = [];

/**
 * Sets the built-in providers that `new Discover()`, `discover()`, `retryJoin()` and `startSim()`
 * use by default. The package's entry points call it once with `providers/index.ts`.
 */
export function setBuiltins(entries: readonly ProviderEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.name)) throw new Error(`composition: provider ${entry.name} is listed twice`);
    seen.add(entry.name);
  }
  composed = [...entries];
}

/** The built-in providers set by the composition (empty until an entry point sets them). */
export function builtins(): readonly ProviderEntry[] {
  return composed;
}

/**
 * Loads every built-in simulator module, in the composition's order, then the engine's own
 * (client introduction: Nomad's JWKS and registration, not a cloud).
 */
export async function builtinSimModules(entries: readonly ProviderEntry[] = composed): Promise<SimModule[]> {
  const loaders = [...entries.flatMap((entry) => (entry.sim ? [entry.sim] : [])), () => import('./intro/sim.js')];
  return (await Promise.all(loaders.map((load) => load()))).map((module) => module.default);
}

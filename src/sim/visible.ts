/**
 * What a simulator module reads of the fleet as its API would show it at this moment: visibility
 * (`appear_after_ms`), a cloud's instances, its credential block. Light on purpose: the provider
 * kit re-exports it, and a provider's descriptor loads the kit.
 */
import type { FleetInstance, FleetService } from './fleet.js';
import type { SimContext } from './types.js';

/** Whether an entry with `appear_after_ms` has appeared yet. */
export function isVisible(entry: { appear_after_ms?: number }, ctx: Pick<SimContext, 'elapsedMs'>): boolean {
  return entry.appear_after_ms === undefined || ctx.elapsedMs() >= entry.appear_after_ms;
}

/**
 * The instances of `cloud` that exist now (those with `appear_after_ms` in the future are hidden),
 * typed as the module's own instance shape (its fleet fields were checked when the fleet loaded).
 */
export function visibleInstances<T extends FleetInstance = FleetInstance>(ctx: Pick<SimContext, 'fleet' | 'elapsedMs'>, cloud: string): T[] {
  return ctx.fleet.instances.filter((i) => i.cloud === cloud && isVisible(i, ctx)) as T[];
}

/** `credentials.<cloud>` of the current fleet, typed as the module declared it; undefined when absent. */
export function fleetCredentials<T extends object>(ctx: Pick<SimContext, 'fleet'>, cloud: string): T | undefined {
  return ctx.fleet.credentials[cloud] as T | undefined;
}

/** The Consul catalog entries that exist now. */
export function visibleServices(ctx: Pick<SimContext, 'fleet' | 'elapsedMs'>): FleetService[] {
  return (ctx.fleet.services ?? []).filter((s) => isVisible(s, ctx));
}

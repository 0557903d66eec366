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
  const mine = cloudIndex(ctx.fleet.instances, cloud);
  return (mine.timed ? mine.instances.filter((i) => isVisible(i, ctx)) : mine.instances.slice()) as T[];
}

interface CloudInstances {
  instances: FleetInstance[];
  /** Some wait for `appear_after_ms`: filter by time on each call. */
  timed: boolean;
}

// Each cloud's instances, per fleet instance list: a module asks on every page, and filtering a
// 10,000-instance estate (of every cloud) per page made the simulator, not the client, the slow
// side of bench/fleet. A list changed in place is forgotten by `forgetFleetIndex` (SimState.setFleet).
const fleetIndex = new WeakMap<readonly FleetInstance[], { length: number; clouds: Map<string, CloudInstances> }>();

function cloudIndex(all: readonly FleetInstance[], cloud: string): CloudInstances {
  let index = fleetIndex.get(all);
  if (index?.length !== all.length) {
    index = { length: all.length, clouds: new Map() };
    fleetIndex.set(all, index);
  }
  let mine = index.clouds.get(cloud);
  if (!mine) {
    const instances = all.filter((i) => i.cloud === cloud);
    mine = { instances, timed: instances.some((i) => i.appear_after_ms !== undefined) };
    index.clouds.set(cloud, mine);
  }
  return mine;
}

/** Forgets what {@link visibleInstances} keeps of a fleet's instance list (it was changed in place). */
export function forgetFleetIndex(instances: readonly FleetInstance[]): void {
  fleetIndex.delete(instances);
}

/** `credentials.<cloud>` of the current fleet, typed as the module declared it; undefined when absent. */
export function fleetCredentials<T extends object>(ctx: Pick<SimContext, 'fleet'>, cloud: string): T | undefined {
  return ctx.fleet.credentials[cloud] as T | undefined;
}

/** The Consul catalog entries that exist now. */
export function visibleServices(ctx: Pick<SimContext, 'fleet' | 'elapsedMs'>): FleetService[] {
  return (ctx.fleet.services ?? []).filter((s) => isVisible(s, ctx));
}

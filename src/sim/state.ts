/**
 * A running simulator's state: the fleet (replaceable at run time), its faults, the request
 * counters, and the context modules see. One object, shared by request dispatch and the control
 * endpoint, so neither holds a copy that could drift.
 */
import { FaultBook } from './faults.js';
import type { Fleet, FleetInstance } from './fleet.js';
import { type FleetSchema, fleetSchema } from './load.js';
import type { SimApi, SimContext, SimModule } from './types.js';
import { forgetFleetIndex } from './visible.js';
import type { SimControl } from './control.js';

export class SimState implements SimControl {
  readonly apis: readonly SimApi[];
  readonly schema: FleetSchema;
  readonly faults: FaultBook;
  readonly ctx: SimContext;
  readonly urls = { http: '', https: '' };
  readonly #counters = new Map<string, number>();
  #fleet: Fleet;

  constructor(fleet: Fleet, modules: readonly SimModule[], dirs: { stateDir: string; caPath: string }, clock: () => number) {
    this.apis = modules.flatMap((m) => m.apis);
    assertUniqueNames(this.apis);
    this.schema = fleetSchema(modules);
    this.#fleet = fleet;
    this.faults = new FaultBook(fleet.faults, clock);
    const startedAt = clock();
    const state = this;
    this.ctx = {
      get fleet() {
        return state.#fleet;
      },
      get httpUrl() {
        return state.urls.http;
      },
      get httpsUrl() {
        return state.urls.https;
      },
      stateDir: dirs.stateDir,
      caPath: dirs.caPath,
      elapsedMs: () => clock() - startedAt,
    };
  }

  get fleet(): Fleet {
    return this.#fleet;
  }

  setFleet(next: Fleet): void {
    // `updateFleet` may hand back the same fleet, changed in place.
    forgetFleetIndex(next.instances);
    this.#fleet = next;
    this.faults.setFleetFaults(next.faults);
  }

  addInstances(instances: FleetInstance[]): void {
    this.setFleet({ ...this.#fleet, instances: [...this.#fleet.instances, ...instances] });
  }

  removeInstance(id: string): boolean {
    const instances = this.#fleet.instances.filter((i) => i.id !== id);
    if (instances.length === this.#fleet.instances.length) return false;
    this.setFleet({ ...this.#fleet, instances });
    return true;
  }

  count(api: string): void {
    this.#counters.set(api, (this.#counters.get(api) ?? 0) + 1);
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.#counters);
  }

  resetCounts(): void {
    this.#counters.clear();
  }
}

function assertUniqueNames(apis: readonly SimApi[]): void {
  const seen = new Set<string>();
  for (const api of apis) {
    if (seen.has(api.name)) throw new Error(`sim: two APIs are named ${api.name}`);
    seen.add(api.name);
  }
}

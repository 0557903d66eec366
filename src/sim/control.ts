/**
 * The `/_sim/` control endpoint on the HTTP listener: health, counters, faults and fleet changes
 * at run time, so a test or a demo can break a cloud while clients are talking to it.
 */
import type { Fleet, FleetInstance } from './fleet.js';
import type { FaultBook } from './faults.js';
import { FleetError, type FleetSchema, validateFaultSpec, validateFleet, validateInstances } from './load.js';
import type { SimApi, SimContext, SimRequest, SimResponse } from './types.js';

/** What the control endpoint may read and change in a running sim. */
export interface SimControl {
  ctx: SimContext;
  apis: readonly SimApi[];
  /** What fleets and instances posted at run time are checked against. */
  schema: FleetSchema;
  faults: FaultBook;
  counts(): Record<string, number>;
  resetCounts(): void;
  setFleet(fleet: Fleet): void;
  addInstances(instances: FleetInstance[]): void;
  /** false when no instance has this id */
  removeInstance(id: string): boolean;
}

/** Answer one `/_sim/...` request. */
export function handleControl(req: SimRequest, sim: SimControl): SimResponse {
  const path = req.url.pathname;
  const route = `${req.method} ${path}`;
  try {
    if (route === 'GET /_sim/health') {
      return json(200, {
        ok: true,
        apis: sim.apis.map((a) => a.name),
        elapsed_ms: Math.round(sim.ctx.elapsedMs()),
        instances: sim.ctx.fleet.instances.length,
      });
    }
    if (route === 'GET /_sim/counts') return json(200, sim.counts());
    if (route === 'DELETE /_sim/counts') {
      const before = sim.counts();
      sim.resetCounts();
      return json(200, before);
    }
    if (route === 'GET /_sim/faults') return json(200, sim.faults.all());
    if (route === 'POST /_sim/faults') {
      const body = readJson(req) as { api?: unknown; spec?: unknown } | undefined;
      if (!body || typeof body.api !== 'string' || body.api === '') {
        return json(400, { error: 'sim_bad_request', message: 'expected {"api": "<name>", "spec": {...} | null}' });
      }
      if (!sim.apis.some((a) => a.name === body.api)) {
        return json(404, { error: 'sim_unknown_api', message: `no API named ${body.api}`, apis: sim.apis.map((a) => a.name) });
      }
      const spec = body.spec === null || body.spec === undefined ? undefined : validateFaultSpec(body.spec);
      sim.faults.set(body.api, spec);
      return json(200, { api: body.api, spec: spec ?? null });
    }
    if (route === 'GET /_sim/fleet') return json(200, sim.ctx.fleet);
    if (route === 'POST /_sim/fleet') {
      sim.setFleet(validateFleet(readJson(req), sim.schema));
      return json(200, { instances: sim.ctx.fleet.instances.length });
    }
    if (route === 'POST /_sim/instances') {
      const added = validateInstances(
        readJson(req),
        sim.schema,
        sim.ctx.fleet.instances.map((i) => i.id),
      );
      sim.addInstances(added);
      return json(201, { added: added.map((i) => i.id) });
    }
    if (req.method === 'DELETE' && path.startsWith('/_sim/instances/')) {
      const id = decodeURIComponent(path.slice('/_sim/instances/'.length));
      if (!sim.removeInstance(id)) return json(404, { error: 'sim_unknown_instance', message: `no instance ${id}` });
      return json(200, { removed: id });
    }
    return json(404, { error: 'sim_unknown_control', message: `no control route ${route}` });
  } catch (err) {
    if (err instanceof FleetError) return json(400, { error: 'sim_invalid', problems: err.problems });
    if (err instanceof SyntaxError) return json(400, { error: 'sim_bad_json', message: err.message });
    throw err;
  }
}

function readJson(req: SimRequest): unknown {
  return req.body.length === 0 ? undefined : JSON.parse(req.body.toString('utf8'));
}

function json(status: number, value: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

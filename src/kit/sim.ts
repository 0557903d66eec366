/**
 * The simulator kit: what a provider's `sim.ts` needs to serve its cloud's API in `discover sim`.
 * The core applies faults, counts requests and owns the listeners; a module declares its APIs
 * (routes), its fleet fields and credential block, and renders its cloud's wire format.
 */
import type { FleetInstance } from '../sim/fleet.js';
import type { SimApi, SimContext, SimRequest, SimResponse } from '../sim/types.js';
import { visibleInstances } from '../sim/visible.js';

export type * from '../sim/fleet.js';
export { benchAddress } from '../sim/fleet.js';
export type * from '../sim/types.js';
export { type LabelRequirement, labelsMatch, parseLabelSelector } from '../sim/label-selector.js';
export { fleetCredentials, isVisible, visibleInstances, visibleServices } from '../sim/visible.js';

/** One route of an API: a method and a path pattern (a RegExp whose groups become `params`). */
export interface SimRoute {
  method: string;
  path: RegExp;
  handle(req: SimRequest, ctx: SimContext, params: readonly string[]): Promise<SimResponse> | SimResponse;
}

/**
 * An API served by routes: it claims requests whose path any route's pattern matches (another
 * method gets 405), so faults and counters apply to the whole API.
 * @example
 * const api = simRoutes({ name: 'hetzner', summary: 'Cloud API', errorResponse },
 *   [{ method: 'GET', path: /^\/v1\/servers$/, handle: listServers }]);
 */
export function simRoutes(base: Omit<SimApi, 'match' | 'handle'>, routes: readonly SimRoute[]): SimApi {
  return {
    ...base,
    match: (req) => routes.some((route) => route.path.test(req.url.pathname)),
    handle(req, ctx) {
      for (const route of routes) {
        const match = route.path.exec(req.url.pathname);
        if (match && route.method === req.method) return route.handle(req, ctx, match.slice(1));
      }
      return { status: 405, headers: { 'content-type': 'text/plain' }, body: `method ${req.method} not allowed` };
    },
  };
}

/** A JSON response, as most REST APIs send one. */
export function simJson(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** The bearer token of a request's `Authorization` header, or undefined. */
export function bearerToken(req: SimRequest): string | undefined {
  const header = req.headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  return /^Bearer\s+(\S+)$/i.exec(value ?? '')?.[1];
}

/**
 * The credential check most token APIs make: the request carries exactly the fleet's token.
 * With no token in the fleet every request is refused, as a cloud refuses an account it never issued.
 */
export function tokenAccepted(req: SimRequest, expected: string | undefined): boolean {
  const given = bearerToken(req);
  return expected !== undefined && given !== undefined && given === expected;
}

/** One page of `items`: 1-based `page` of `perPage` items, and whether more follow. */
export function simPage<T>(items: readonly T[], page: number, perPage: number): { items: T[]; more: boolean; total: number } {
  const start = (Math.max(1, page) - 1) * perPage;
  return { items: items.slice(start, start + perPage), more: start + perPage < items.length, total: items.length };
}

/**
 * What a paste block shows of a cloud: its first instance that exists now, else its first at all
 * (one that appears later), and the tag the printed config selects on: that instance's `role`
 * tag, else its first one (none: `tag` is undefined). Undefined when the fleet has none of the cloud.
 * @example const example = pasteExample(ctx, 'aliyun'); // { instance, tag: ['role', 'nomad-server'] }
 */
export function pasteExample(
  ctx: Pick<SimContext, 'fleet' | 'elapsedMs'>,
  cloud: string,
): { instance: FleetInstance; tag: [string, string] | undefined } | undefined {
  const instance = visibleInstances(ctx, cloud)[0] ?? ctx.fleet.instances.find((i) => i.cloud === cloud);
  if (instance === undefined) return undefined;
  const tags = Object.entries(instance.tags ?? {});
  return { instance, tag: tags.find(([key]) => key === 'role') ?? tags[0] };
}

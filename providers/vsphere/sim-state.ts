/**
 * What the vSphere simulator keeps between requests, per sim (keyed by its URL: several sims run
 * in one test process): the REST sessions (`vmware-api-session-id`), the SOAP sessions
 * (`vmware_soap_session`) with their unfinished RetrievePropertiesEx results, and the VM ids.
 * Tests count live sessions of both kinds to check that none leak.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FleetInstance, isVisible, type SimContext } from '../../src/kit/index.js';

/** A SOAP session: the rest of each paged RetrievePropertiesEx, by token. */
export interface SoapSession {
  pending: Map<string, { rest: FleetInstance[]; pageSize: number }>;
  nextToken: number;
}

const restSessions = new Map<string, Set<string>>();
const soapSessions = new Map<string, Map<string, SoapSession>>();
/** Callers of {@link allSessionsDeleted} waiting per sim, called when its last session ends. */
const drained = new Map<string, Array<() => void>>();

function restSet(ctx: SimContext): Set<string> {
  let set = restSessions.get(ctx.httpsUrl);
  if (!set) restSessions.set(ctx.httpsUrl, (set = new Set()));
  return set;
}

function soapMap(ctx: SimContext): Map<string, SoapSession> {
  let map = soapSessions.get(ctx.httpsUrl);
  if (!map) soapSessions.set(ctx.httpsUrl, (map = new Map()));
  return map;
}

function ended(ctx: SimContext): void {
  if (liveSessions(ctx) > 0) return;
  for (const resolve of drained.get(ctx.httpsUrl) ?? []) resolve();
  drained.delete(ctx.httpsUrl);
}

export function openRestSession(ctx: SimContext): string {
  const id = randomBytes(16).toString('hex');
  restSet(ctx).add(id);
  return id;
}

export const hasRestSession = (ctx: SimContext, id: string | undefined) => id !== undefined && restSet(ctx).has(id);

export function closeRestSession(ctx: SimContext, id: string): void {
  restSet(ctx).delete(id);
  ended(ctx);
}

/** Callers of {@link nextSoapLogin} waiting per sim. */
const loginWaiters = new Map<string, Array<(id: string) => void>>();

/** A new SOAP session id (40 hex digits, as vCenter's cookie values are). */
export function openSoapSession(ctx: SimContext): string {
  const id = randomBytes(20).toString('hex');
  soapMap(ctx).set(id, { pending: new Map(), nextToken: 1 });
  const waiting = loginWaiters.get(ctx.httpsUrl) ?? [];
  loginWaiters.delete(ctx.httpsUrl);
  for (const resolve of waiting) resolve(id);
  return id;
}

/**
 * Resolves with the id of the next SOAP session opened on this sim, before its `Login` is answered:
 * a test ends it there to play a session that expires while the client still uses it.
 */
export function nextSoapLogin(ctx: SimContext): Promise<string> {
  return new Promise((resolve) => {
    const waiting = loginWaiters.get(ctx.httpsUrl) ?? [];
    waiting.push(resolve);
    loginWaiters.set(ctx.httpsUrl, waiting);
  });
}

export const soapSession = (ctx: SimContext, id: string | undefined) => (id === undefined ? undefined : soapMap(ctx).get(id));

export function closeSoapSession(ctx: SimContext, id: string): void {
  soapMap(ctx).delete(id);
  ended(ctx);
}

/** How many sessions are open on this sim's vCenter, REST and SOAP (logged in, not yet ended). */
export function liveSessions(ctx: SimContext): number {
  return (restSessions.get(ctx.httpsUrl)?.size ?? 0) + (soapSessions.get(ctx.httpsUrl)?.size ?? 0);
}

/** How many SOAP sessions are open on this sim's vCenter. */
export function liveSoapSessions(ctx: SimContext): number {
  return soapSessions.get(ctx.httpsUrl)?.size ?? 0;
}

/**
 * Resolves once no session is open on this sim's vCenter: the event a test waits for when the call
 * it made has already ended (a timeout rejects before the provider's logout lands).
 */
export function allSessionsDeleted(ctx: SimContext): Promise<void> {
  if (liveSessions(ctx) === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const waiting = drained.get(ctx.httpsUrl) ?? [];
    waiting.push(resolve);
    drained.set(ctx.httpsUrl, waiting);
  });
}

/** The VM id: the instance id when it is `vm-N`, else a stable `vm-N`. */
export function vmId(instance: FleetInstance): string {
  if (/^vm-\d+$/.test(instance.id)) return instance.id;
  return `vm-${(createHash('sha256').update(instance.id).digest().readUInt32BE(0) % 9_000_000) + 1000}`;
}

/** VMs by id, built once per fleet (a lookup per VM must not scan the whole fleet). */
const byId = new WeakMap<readonly FleetInstance[], Map<string, FleetInstance>>();

/** The visible VM with this id, or undefined. */
export function vmById(ctx: SimContext, id: string): FleetInstance | undefined {
  let index = byId.get(ctx.fleet.instances);
  if (!index) {
    index = new Map(ctx.fleet.instances.filter((i) => i.cloud === 'vsphere').map((i) => [vmId(i), i]));
    byId.set(ctx.fleet.instances, index);
  }
  const vm = index.get(id);
  return vm && isVisible(vm, ctx) ? vm : undefined;
}

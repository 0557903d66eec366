/**
 * CloudAPI `ListMachines` answers -> targets. Pure; table-tested in extract.test.ts.
 * Wire format: provider-apis.md §10 and the recorded sample in fixtures/.
 */
import type { Target } from '../../src/kit/index.js';

/** The machine fields this provider reads. */
export interface TritonMachine {
  id?: string;
  name?: string;
  state?: string;
  primaryIp?: string | null;
  ips?: string[];
  compute_node?: string;
}

export function malformedPage(body: unknown): string | undefined {
  if (!Array.isArray(body)) return 'the response is not a JSON array';
  for (const [i, machine] of body.entries()) {
    if (typeof machine !== 'object' || machine === null) return `machine ${i} is not an object`;
  }
  return undefined;
}

/** `primaryIp` of each machine, as go-discover; machines without one are left out and counted. */
export function machineTargets(machines: readonly TritonMachine[]): { targets: Target[]; skipped: string[] } {
  const targets: Target[] = [];
  const skipped: string[] = [];
  for (const m of machines) {
    if (typeof m.primaryIp !== 'string' || m.primaryIp === '') {
      skipped.push(m.id ?? '(no id)');
      continue;
    }
    const target: Target = { address: m.primaryIp };
    if (m.id) target.id = m.id;
    if (m.name) target.name = m.name;
    if (m.compute_node) target.zone = m.compute_node;
    targets.push(target);
  }
  return { targets, skipped };
}

/** `GET {url}/{account}/machines?tag.<k>=<v>&state=running&limit=&offset=`, the base URL's path kept. */
export function machinesUrl(base: string, account: string, tag: { key: string; value: string } | undefined, limit: number, offset: number): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${encodeURIComponent(account)}/machines`;
  if (tag) url.searchParams.set(`tag.${tag.key}`, tag.value);
  url.searchParams.set('state', 'running');
  url.searchParams.set('limit', String(limit));
  url.searchParams.set('offset', String(offset));
  return url;
}

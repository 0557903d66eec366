/**
 * Nomad's walk across Consul datacenters (`client/consul.go` `consulDiscoveryImpl`, Nomad 2.0):
 * `GET /v1/catalog/datacenters` lists them nearest first, so the agent's own comes first; with
 * more than two, the rest are shuffled and the list cut to {@link DATACENTER_QUERY_LIMIT}. Each is
 * read with `stale`, `near=_agent` and `wait=2s` until one has instances. Pure: no I/O here.
 */

/** Nomad's `datacenterQueryLimit`: the local datacenter and up to 8 others. */
export const DATACENTER_QUERY_LIMIT = 9;

/** Nomad's `consul.DefaultQueryWaitDuration`, as the Consul API client writes it (`durToMsec`). */
export const QUERY_WAIT = '2000ms';

/** A number in [0, 1), as `Math.random` gives; injected so tests can fix the shuffle. */
export type Random = () => number;

/**
 * Nomad's `shuffleStrings`: for each i, swap with a j drawn from [0, i]. Shuffles in place.
 * @example shuffleStrings(['a', 'b', 'c'], () => 0) // ['c', 'a', 'b']
 */
export function shuffleStrings(list: string[], random: Random): string[] {
  for (let i = 0; i < list.length; i++) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as string, list[i] as string];
  }
  return list;
}

/**
 * The datacenters to ask, in order: Consul's first (the local one) stays first; with more than
 * two, the rest are shuffled and the whole cut to 9. With one or two, Consul's order is kept.
 */
export function datacenterOrder(datacenters: readonly string[], random: Random): string[] {
  const order = [...datacenters];
  if (order.length <= 2) return order;
  const rest = shuffleStrings(order.slice(1), random);
  return [order[0] as string, ...rest].slice(0, DATACENTER_QUERY_LIMIT);
}

/** Go's `%+q` of a string slice, as Nomad's messages print it: `["dc1" "dc2"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** hclog's rendering of a slice value (`%+v`): `[a b]`, quoted when a rune is outside `-`..`~` (a space). */
export function hclogList(values: readonly string[]): string {
  const text = `[${values.join(' ')}]`;
  return /[^\x2d-\x7e]/.test(text) ? JSON.stringify(text) : text;
}

/** Why a `/v1/catalog/datacenters` body is not a list of names; undefined when it is. */
export function malformedDatacenters(body: unknown): string | undefined {
  if (!Array.isArray(body)) return 'the response is not a JSON array';
  const bad = body.findIndex((dc) => typeof dc !== 'string' || dc === '');
  return bad === -1 ? undefined : `element ${bad} is not a datacenter name`;
}

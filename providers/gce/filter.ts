/**
 * Pure: the compute v1 `filter` expressions the provider sends. The simulator parses the same
 * subset (sim-filter.ts), so a change here without one there fails the end-to-end tests.
 */

/** A compute filter string literal: double-quoted, `\` and `"` escaped. */
export function quoteFilterValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** What the server should filter on. Network tags are matched client-side (see index.ts notes). */
export interface InstanceFilterInput {
  labelKey?: string | undefined;
  labelValue?: string | undefined;
  /** A single status to filter on server-side; several statuses are filtered client-side. */
  status?: string | undefined;
}

/**
 * The `instances.list` / `aggregatedList` filter: each condition in parentheses, joined by `AND`,
 * like go-discover's `(tags.items:"x") AND (labels.k="v")`. Undefined when there is no condition.
 * @example instanceFilter({ labelKey: 'role', labelValue: 'consul', status: 'RUNNING' })
 *   // '(labels.role = "consul") AND (status = "RUNNING")'
 */
export function instanceFilter(input: InstanceFilterInput): string | undefined {
  const parts: string[] = [];
  if (input.labelKey !== undefined) parts.push(`labels.${input.labelKey} = ${quoteFilterValue(input.labelValue ?? '')}`);
  if (input.status !== undefined) parts.push(`status = ${quoteFilterValue(input.status)}`);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return parts.map((p) => `(${p})`).join(' AND ');
}

/** The `zones.list` filter go-discover sends: the legacy `name eq <RE2>` form, a full-match regex. */
export function zoneFilter(zonePattern: string | undefined): string | undefined {
  return zonePattern ? `name eq ${zonePattern}` : undefined;
}

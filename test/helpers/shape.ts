/**
 * Shape comparison for recorded API samples against what a simulator serves: the JSON types met
 * along each path (`servers[].public_net.ipv4.ip`), so a simulator cannot drift from the wire
 * format the extractor reads.
 */

/** The JSON type of a value: `string`, `number`, `boolean`, `null`, `array` or `object`. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The types found at `path` in `value`: dot-separated keys, `[]` after a key steps into every
 * element of an array. A missing key gives `undefined`.
 * @example typesAt({ a: [{ b: 1 }, { b: null }] }, 'a[].b') // Set { 'number', 'null' }
 */
export function typesAt(value: unknown, path: string): Set<string> {
  let current: unknown[] = [value];
  for (const step of path.split('.')) {
    const many = step.endsWith('[]');
    const key = many ? step.slice(0, -2) : step;
    const next: unknown[] = [];
    for (const node of current) {
      const child = key === '' ? node : typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
      if (many && Array.isArray(child)) next.push(...child);
      else next.push(child);
    }
    current = next;
  }
  return new Set(current.map((v) => (v === undefined ? 'undefined' : jsonType(v))));
}

/**
 * Paths where the sample and the served body disagree: the non-null types differ (a value that
 * may be null in one and present in the other is fine when both allow it).
 */
export function shapeDifferences(sample: unknown, served: unknown, paths: readonly string[]): string[] {
  const problems: string[] = [];
  for (const path of paths) {
    const a = [...typesAt(sample, path)].filter((t) => t !== 'null').sort();
    const b = [...typesAt(served, path)].filter((t) => t !== 'null').sort();
    if (a.join() !== b.join()) problems.push(`${path}: sample has ${a.join('|') || 'null'}, simulator serves ${b.join('|') || 'null'}`);
  }
  return problems;
}

/** Keys of the sample's object at `path` (first element of arrays) that the served object lacks. */
export function missingKeys(sample: unknown, served: unknown, path: string): string[] {
  const first = (value: unknown): Record<string, unknown> => {
    let node: unknown = value;
    for (const step of path === '' ? [] : path.split('.')) {
      const many = step.endsWith('[]');
      const key = many ? step.slice(0, -2) : step;
      node = (node as Record<string, unknown> | undefined)?.[key];
      if (many) node = (node as unknown[] | undefined)?.[0];
    }
    return (node ?? {}) as Record<string, unknown>;
  };
  const have = new Set(Object.keys(first(served)));
  return Object.keys(first(sample)).filter((key) => !have.has(key));
}

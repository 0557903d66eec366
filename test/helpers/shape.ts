/**
 * The shape of a JSON value: the same tree with every leaf replaced by its type name, arrays by the
 * shape of their first element. Comparing the shape of what the simulator serves with that of a
 * recorded vendor sample catches drift in key names and value types without comparing values.
 */
export type Shape = string | Shape[] | { [key: string]: Shape };

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object') {
    const out: Record<string, Shape> = {};
    for (const key of Object.keys(value as object).sort()) out[key] = shapeOf((value as Record<string, unknown>)[key]);
    return out;
  }
  return typeof value;
}

/**
 * The shape along the given dotted paths only (`networks.v4[].ip_address`), for samples whose
 * other fields legitimately differ (nullable fields, optional blocks).
 */
export function shapeAt(value: unknown, paths: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of paths) {
    let current: unknown = value;
    for (const part of path.split('.')) {
      if (current === undefined || current === null) break;
      const arrayPart = part.endsWith('[]');
      current = (current as Record<string, unknown>)[arrayPart ? part.slice(0, -2) : part];
      if (arrayPart) current = Array.isArray(current) ? current[0] : undefined;
    }
    out[path] = current === null ? 'null' : Array.isArray(current) ? 'array' : typeof current;
  }
  return out;
}

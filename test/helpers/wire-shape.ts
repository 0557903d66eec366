/**
 * The shape of an API body: every key path it holds, with the type of the values found there.
 * Array elements are merged (`value.properties.ipConfigurations.name`), so two bodies that
 * describe different fleets still compare. Used by the providers' `wire.test.ts` to check the
 * simulator's answers against recorded vendor samples.
 */
import { XMLParser } from 'fast-xml-parser';

/** A value's type as a shape records it. `null` is its own type: JSON APIs send it on purpose. */
export type ShapeType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

/** Key path -> the types seen there (an optional field may be `string` in one element, `null` in another). */
export type Shape = Map<string, Set<ShapeType>>;

export interface ShapeOptions {
  /**
   * Paths whose object keys are data, not schema (ARM `tags`, Consul `NodeMeta`): their keys
   * are folded into `*`, so `tags.role` and `tags.env` are both `tags.*`.
   */
  maps?: readonly string[];
}

function typeOf(value: unknown): ShapeType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'object') return t;
  throw new TypeError(`shape: a ${t} is not a wire value`);
}

/**
 * The shape of a parsed body.
 * @example shapeOf([{ a: 1 }, { a: 2, b: 'x' }]) // Map { '' => {array}, 'a' => {number}, 'b' => {string} }
 */
export function shapeOf(body: unknown, options: ShapeOptions = {}): Shape {
  const maps = new Set(options.maps ?? []);
  const shape: Shape = new Map();
  const add = (path: string, type: ShapeType) => {
    const types = shape.get(path) ?? new Set<ShapeType>();
    types.add(type);
    shape.set(path, types);
  };
  const walk = (value: unknown, path: string) => {
    const type = typeOf(value);
    add(path, type);
    if (type === 'array') {
      for (const element of value as unknown[]) walk(element, path);
    } else if (type === 'object') {
      const isMap = maps.has(path);
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        walk(child, path === '' ? (isMap ? '*' : key) : `${path}.${isMap ? '*' : key}`);
      }
    }
  };
  walk(body, '');
  return shape;
}

/**
 * Parses an XML body to a tree for `shapeOf`: attributes dropped, every text a string (as the
 * wire has it), and the EC2 Query list wrapper `item` always an array, so a one-element list
 * has the same shape as a longer one.
 */
export function parseXml(xml: string): unknown {
  const parser = new XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: true,
    isArray: (name) => name === 'item',
  });
  return parser.parse(xml);
}

/** The type of a path in a shape, as text for assertion messages (`string`, `null|string`), or undefined. */
export function typeAt(shape: Shape, path: string): string | undefined {
  const types = shape.get(path);
  return types === undefined ? undefined : [...types].sort().join('|');
}

/**
 * Problems comparing a simulator's shape with a recorded sample's:
 * - every path in `read` (what the extractor reads) must be in both, with a type in common
 *   (a recorded `null` stands for "absent here", so it is not counted as a type);
 * - every path in the simulator must be in the sample, unless listed in `allowExtra`
 *   (a path there also covers everything under it).
 * Empty when they agree.
 */
export function compareShapes(sim: Shape, recorded: Shape, read: readonly string[], allowExtra: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const path of read) {
    const s = sim.get(path);
    const r = recorded.get(path);
    if (r === undefined) problems.push(`read path ${path} is not in the recorded sample`);
    if (s === undefined) problems.push(`read path ${path} is not in the simulator's answer`);
    if (s === undefined || r === undefined) continue;
    const common = [...s].filter((type) => type !== 'null' && r.has(type));
    if (common.length === 0) problems.push(`read path ${path}: simulator ${typeAt(sim, path)}, recorded ${typeAt(recorded, path)}`);
  }
  const allowed = (path: string) => allowExtra.some((extra) => path === extra || path.startsWith(`${extra}.`));
  for (const path of sim.keys()) {
    if (!recorded.has(path) && !allowed(path)) problems.push(`the simulator sends ${path}, which the recorded sample has not`);
  }
  return problems;
}

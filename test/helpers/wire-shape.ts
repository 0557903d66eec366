/**
 * The shape of an API body: every key path it holds, with the type of the values found there.
 * Array elements are merged (`value.properties.ipConfigurations.name`), so two bodies that
 * describe different fleets still compare. The providers' tests use it to check the simulator's
 * answers against recorded vendor samples: `compareShapes` for whole bodies (the `wire.test.ts`
 * files), `typeDifferences` and `sampleProblems` for chosen paths, objects and lists.
 */
import { XMLParser } from 'fast-xml-parser';

/**
 * A value's type as a shape records it. `null` is its own type: JSON APIs send it on purpose.
 * `absent` is not a value: some object at the parent path lacks the key (or the parent is not an
 * object there), so an optional field reads `absent|string`. Never on a map's `*`: its entries
 * are data, and an empty map lacks no key.
 */
export type ShapeType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array' | 'absent';

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
 * @example shapeOf([{ a: 1 }, { a: 2, b: 'x' }]) // Map { '' => {array, object}, 'a' => {number}, 'b' => {string, absent} }
 */
export function shapeOf(body: unknown, options: ShapeOptions = {}): Shape {
  const maps = new Set(options.maps ?? []);
  const shape: Shape = new Map();
  // Path -> the paths of its keys, so an absent key is found by structure, not by splitting on dots (k8s annotation keys hold dots).
  const children = new Map<string, Set<string>>();
  const entryPath = (map: string) => (map === '' ? '*' : `${map}.*`);
  const entryPaths = new Set([...maps].map(entryPath));
  const add = (path: string, type: ShapeType) => {
    const types = shape.get(path) ?? new Set<ShapeType>();
    types.add(type);
    shape.set(path, types);
  };
  const keyPaths = (value: Record<string, unknown>, path: string) => {
    const isMap = maps.has(path);
    return Object.entries(value).map(([key, child]) => [isMap ? entryPath(path) : path === '' ? key : `${path}.${key}`, child] as const);
  };
  const walk = (value: unknown, path: string) => {
    const type = typeOf(value);
    add(path, type);
    if (type === 'array') {
      for (const element of value as unknown[]) walk(element, path);
    } else if (type === 'object') {
      for (const [childPath, child] of keyPaths(value as Record<string, unknown>, path)) {
        if (childPath !== path) children.set(path, (children.get(path) ?? new Set()).add(childPath));
        walk(child, childPath);
      }
    }
  };
  const markAbsent = (path: string) => {
    if (entryPaths.has(path)) return;
    add(path, 'absent');
    for (const child of children.get(path) ?? []) markAbsent(child);
  };
  // Every value at a path that has keys somewhere must hold each of them, or they are absent there.
  const findAbsent = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      for (const element of value) findAbsent(element, path);
      return;
    }
    const entries = typeOf(value) === 'object' ? keyPaths(value as Record<string, unknown>, path) : [];
    const present = new Set(entries.map(([childPath]) => childPath));
    for (const child of children.get(path) ?? []) if (!present.has(child)) markAbsent(child);
    for (const [childPath, child] of entries) if (childPath !== path) findAbsent(child, childPath);
  };
  walk(body, '');
  findAbsent(body, '');
  return shape;
}

const ABSENT = Symbol('absent');

/**
 * The types of the values at a dotted `path` in a body, for what a shape cannot tell: a shape
 * merges an array with its elements, so where a recording's lists are all empty it cannot say
 * whether the simulator's `array|string` is lists of strings or a bare string in one element.
 * Arrays met on the way are stepped into; the values at the end are not, so
 * `valueTypesAt(body, 'devices.tags')` is `{array}` for any tag lists, empty or not. A key
 * missing on the way gives `absent`; keys are taken as written (no `maps` folding).
 * @example valueTypesAt({ d: [{ tags: [] }, { tags: 'x' }, {}] }, 'd.tags') // Set { 'array', 'string', 'absent' }
 */
function valueTypesAt(body: unknown, path: string): Set<ShapeType> {
  const flat = (values: unknown[]): unknown[] => values.flatMap((value) => (Array.isArray(value) ? flat(value) : [value]));
  let values: unknown[] = [body];
  for (const key of path === '' ? [] : path.split('.')) {
    values = flat(values).map((value) =>
      value !== ABSENT && typeOf(value) === 'object' && Object.hasOwn(value as object, key) ? (value as Record<string, unknown>)[key] : ABSENT,
    );
  }
  return new Set(values.map((value) => (value === ABSENT ? 'absent' : typeOf(value))));
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
 *   (`null` and `absent` stand for "not sent here", so they are not counted as types);
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
    const common = [...s].filter((type) => type !== 'null' && type !== 'absent' && r.has(type));
    if (common.length === 0) problems.push(`read path ${path}: simulator ${typeAt(sim, path)}, recorded ${typeAt(recorded, path)}`);
  }
  const allowed = (path: string) => allowExtra.some((extra) => path === extra || path.startsWith(`${extra}.`));
  for (const path of sim.keys()) {
    if (!recorded.has(path) && !allowed(path)) problems.push(`the simulator sends ${path}, which the recorded sample has not`);
  }
  return problems;
}

/**
 * Problems where the simulator's shape and a recorded sample's disagree at the given paths: the
 * types seen there must be the same set, `absent` included, so a key one side always sends and
 * the other sometimes leaves out is a difference. Stricter than `compareShapes`' "a type in
 * common". A path in neither shape is a problem too (a check that holds nothing). With
 * `nullable`, `null` is dropped from both sides first: `null|string` agrees with `string`, but
 * `null` alone still differs from `string`. Empty when they agree.
 * @example typeDifferences(shapeOf({ id: 1 }), shapeOf({ id: '1' }), ['id']) // ['id: simulator number, recorded string']
 */
export function typeDifferences(sim: Shape, recorded: Shape, paths: readonly string[], options: { nullable?: boolean } = {}): string[] {
  const problems: string[] = [];
  const typesOf = (shape: Shape, path: string) => {
    const types = shape.get(path);
    if (types === undefined) return 'no such path';
    // Only the nullable filter can leave nothing, so an all-null path still reads `null`.
    return (
      [...types]
        .filter((type) => !(options.nullable && type === 'null'))
        .sort()
        .join('|') || 'null'
    );
  };
  for (const path of paths) {
    if (!sim.has(path) && !recorded.has(path)) {
      problems.push(`${path || '(the body)'} is in neither the simulator's answer nor the recorded sample`);
      continue;
    }
    const s = typesOf(sim, path);
    const r = typesOf(recorded, path);
    if (s !== r) problems.push(`${path || '(the body)'}: simulator ${s}, recorded ${r}`);
  }
  return problems;
}

/**
 * The keys the recorded sample holds in its objects at `path` (in any of them) that the simulator
 * leaves out of at least one of its objects there: each served object must carry every recorded
 * key, whatever its value. `''` is the body itself (or the elements of a top-level array). Keys
 * are told from nested paths by the dot, so this is for schema keys, not dotted data keys. Throws
 * when the recorded sample has no keys at `path`, as the check would then hold nothing.
 * @example missingKeys(shapeOf([{ a: 1 }, {}]), shapeOf([{ a: 1, b: 2 }]), '') // ['a', 'b']
 */
function missingKeys(sim: Shape, recorded: Shape, path: string): string[] {
  const prefix = path === '' ? '' : `${path}.`;
  const keys = [...recorded.keys()]
    .filter((p) => p !== path && p.startsWith(prefix) && !p.slice(prefix.length).includes('.'))
    .map((p) => p.slice(prefix.length));
  if (keys.length === 0) throw new Error(`missingKeys: the recorded sample has no keys at ${path === '' ? 'its top level' : path}`);
  return keys.filter((key) => !sim.has(`${prefix}${key}`) || sim.get(`${prefix}${key}`)?.has('absent'));
}

/** What `sampleProblems` checks beyond the body and the sample. */
export interface SampleChecks {
  /** Paths whose types must agree (`typeDifferences`, null beside a type allowed: recordings leave optional fields null). */
  paths: readonly string[];
  /** Paths of objects each served one of which must carry every key recorded there (`missingKeys`). */
  objects?: readonly string[];
  /** Paths of lists the recording has only empty: the values there are compared themselves, null and absent included (`valueTypesAt`), as a shape has no elements there to compare. */
  lists?: readonly string[];
}

/**
 * What a served body gets wrong against a recorded sample, in one list: the type differences at
 * `paths`, the recorded keys left out of a served object at each of `objects`, and the lists at
 * `lists` that are not lists in both. Empty when they agree.
 * @example sampleProblems(body, sample, { paths: ['servers.id'], objects: ['servers'], lists: ['servers.tags'] })
 */
export function sampleProblems(served: unknown, sample: unknown, checks: SampleChecks): string[] {
  const sim = shapeOf(served);
  const recorded = shapeOf(sample);
  const problems = typeDifferences(sim, recorded, checks.paths, { nullable: true });
  for (const path of checks.objects ?? []) {
    for (const key of missingKeys(sim, recorded, path)) problems.push(`${path === '' ? key : `${path}.${key}`} is recorded but left out of a served object`);
  }
  for (const path of checks.lists ?? []) {
    const [s, r] = [valueTypesAt(served, path), valueTypesAt(sample, path)].map((types) => [...types].sort().join('|'));
    if (s !== r) problems.push(`${path} (the lists themselves): simulator ${s}, recorded ${r}`);
  }
  return problems;
}

/**
 * Partial responses in the simulator: Google's `fields` selector syntax (query `fields` /
 * `$fields`, or the `X-Goog-FieldMask` header), parsed strictly and applied while serialising.
 *
 *   fields := field (',' field)*      field := path ('(' fields ')')?
 *   path   := name (('/' | '.') name)* name  := identifier | '*'   (`*`: every key of a map)
 *
 * Arrays are transparent: a selection applies to each element.
 */

/** A parsed selection: per key, everything below it (`true`) or a narrower selection. */
export type FieldTree = Map<string, FieldTree | true>;

/** A selector the simulator refuses; becomes a 400. */
export class FieldSelectionError extends Error {}

function merge(into: FieldTree, key: string, sub: FieldTree | true): void {
  const existing = into.get(key);
  if (existing === undefined) {
    into.set(key, sub);
  } else if (existing !== true) {
    if (sub === true) into.set(key, true);
    else for (const [k, v] of sub) merge(existing, k, v);
  }
}

/**
 * Parses a selector. @throws FieldSelectionError
 * @example parseFields('items(name,id),nextPageToken')
 */
export function parseFields(text: string): FieldTree {
  let pos = 0;
  const fail = (why: string): never => {
    throw new FieldSelectionError(`Invalid field selection ${text}: ${why} at ${pos}`);
  };
  const name = (): string => {
    const m = /^(\*|[A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(pos));
    if (!m) return fail('expected a field name');
    pos += m[0].length;
    return m[0];
  };
  const list = (): FieldTree => {
    const tree: FieldTree = new Map();
    for (;;) {
      const path = [name()];
      while (text[pos] === '/' || text[pos] === '.') {
        pos++;
        path.push(name());
      }
      let sub: FieldTree | true = true;
      if (text[pos] === '(') {
        pos++;
        sub = list();
        if (text[pos] !== ')') fail('expected )');
        pos++;
      }
      for (let i = path.length - 1; i > 0; i--) sub = new Map([[path[i]!, sub]]);
      merge(tree, path[0]!, sub);
      if (text[pos] !== ',') return tree;
      pos++;
    }
  };
  const tree = list();
  if (pos !== text.length) fail('unexpected character');
  return tree;
}

/** The selection below `key`: undefined when the key is not selected, true for everything. */
export function select(tree: FieldTree, key: string): FieldTree | true | undefined {
  const exact = tree.get(key);
  const star = tree.get('*');
  if (exact === true || star === true) return true;
  if (exact && star) {
    const both: FieldTree = new Map(exact);
    for (const [k, v] of star) merge(both, k, v);
    return both;
  }
  return exact ?? star;
}

/** Stands for pre-serialised JSON in a value being rendered (cached instances). */
export class RawJson {
  constructor(readonly render: (tree: FieldTree | undefined) => string) {}
}

/** JSON text of `value` restricted to `tree` (undefined: everything). */
export function renderJson(value: unknown, tree: FieldTree | undefined): string {
  if (value instanceof RawJson) return value.render(tree);
  if (Array.isArray(value)) return `[${value.map((v) => renderJson(v, tree)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const sub = tree === undefined ? true : select(tree, key);
      if (sub === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${renderJson(v, sub === true ? undefined : sub)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

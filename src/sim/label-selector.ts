/**
 * The Kubernetes label-selector grammar (`app=consul,tier!=web,env in (a,b),!legacy,role`), which
 * more than one list API takes as it is. Simulator modules parse and match with it; nothing here
 * names a cloud.
 */

export type LabelRequirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'exists' | 'absent'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

/** A key (optionally `prefix/name`) and a value as Kubernetes validates them. */
const KEY = '[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?';
const VALUE = '(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?';
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const ABSENT = new RegExp(`^!\\s*(${KEY})$`);
const EXISTS = new RegExp(`^(${KEY})$`);
const ONE_VALUE = new RegExp(`^${VALUE}$`);

/** Splits on the commas that are not inside a `(...)` set. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/**
 * The requirements of a selector; `''` selects everything. Throws, as the API server answers,
 * `unable to parse requirement: "<part>"` for a part that is not one.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  if (text.trim() === '') return [];
  return splitTopLevel(text).map((raw): LabelRequirement => {
    const part = raw.trim();
    let m = EQUALITY.exec(part);
    if (m) return { op: m[2] === '!=' ? 'ne' : 'eq', key: m[1] as string, value: m[3] as string };
    m = SET.exec(part);
    if (m) {
      const values = (m[3] as string).split(',').map((v) => v.trim());
      if (values.every((v) => ONE_VALUE.test(v))) return { op: m[2] === 'in' ? 'in' : 'notin', key: m[1] as string, values };
    }
    m = ABSENT.exec(part);
    if (m) return { op: 'absent', key: m[1] as string };
    m = EXISTS.exec(part);
    if (m) return { op: 'exists', key: m[1] as string };
    throw new Error(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
}

/** True when the `given` labels meet every requirement. */
export function labelsMatch(requirements: readonly LabelRequirement[], given: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(given, r.key);
    const value = given[r.key];
    switch (r.op) {
      case 'eq':
        return has && value === r.value;
      case 'ne':
        return !has || value !== r.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(value as string);
      case 'notin':
        return !has || !r.values.includes(value as string);
      default:
        return false;
    }
  });
}

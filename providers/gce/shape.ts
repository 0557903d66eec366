/**
 * Pure: is a 200 body from a compute list call the list it claims to be? The SDK decodes JSON
 * through protobuf, which reads `{"items": 5}`, `[]` or `{"status":"ok"}` as an empty list, so
 * an HTML page from a proxy or another API's answer would say "no peers". The raw body is checked
 * here first. Shapes from the compute v1 REST reference (InstanceAggregatedList, InstanceList,
 * ZoneList: kind, id, items, nextPageToken, selfLink, warning, unreachables); a partial response
 * (the field mask) carries only items and nextPageToken, and an empty one is `{}`.
 */
import { printableLine } from '../../src/kit/index.js';

/** The compute list calls discovery makes, by their REST path. */
export type ComputeList = 'instances.aggregatedList' | 'instances.list' | 'zones.list';

const KINDS: Record<ComputeList, string> = {
  'instances.aggregatedList': 'compute#instanceAggregatedList',
  'instances.list': 'compute#instanceList',
  'zones.list': 'compute#zoneList',
};

/** The top-level fields of a compute list answer; a body holding none of them (and not `{}`) is another API's. */
const LIST_FIELDS = new Set(['kind', 'id', 'items', 'nextPageToken', 'selfLink', 'warning', 'unreachables']);

/** The list call a compute REST path is, or undefined (token, metadata and other calls). */
export function computeListOf(pathname: string): ComputeList | undefined {
  if (/\/compute\/v1\/projects\/[^/]+\/aggregated\/instances$/.test(pathname)) return 'instances.aggregatedList';
  if (/\/compute\/v1\/projects\/[^/]+\/zones\/[^/]+\/instances$/.test(pathname)) return 'instances.list';
  if (/\/compute\/v1\/projects\/[^/]+\/zones$/.test(pathname)) return 'zones.list';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoted(key: string): string {
  return JSON.stringify(printableLine(key, 60));
}

/** An array of objects (`null` reads as absent, as proto3 JSON has it), or what is wrong with it. */
function objectArrayProblem(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return `${where} is not an array`;
  const index = value.findIndex((item) => !isObject(item));
  return index === -1 ? undefined : `${where}[${index}] is not an object`;
}

/**
 * What is wrong with `body` as the answer of `list`, or undefined when it has the list's shape.
 * Only the levels discovery reads are checked; deeper wrong types fail in the SDK's decoder.
 * @example listShapeProblem('instances.aggregatedList', '{"items": 5}') === 'items is not a map of scopes'
 */
export function listShapeProblem(list: ComputeList, body: string): string | undefined {
  if (body.trim() === '') return 'an empty body';
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  if (!isObject(json)) return `${Array.isArray(json) ? 'a JSON array' : `JSON ${json === null ? 'null' : typeof json}`}, not a ${KINDS[list]}`;
  const keys = Object.keys(json);
  if (keys.length > 0 && !keys.some((key) => LIST_FIELDS.has(key))) return `no list fields (items, nextPageToken), not a ${KINDS[list]}`;
  if (json.kind !== undefined && json.kind !== KINDS[list]) return `kind ${quoted(String(json.kind))}, not ${KINDS[list]}`;
  if (json.nextPageToken !== undefined && json.nextPageToken !== null && typeof json.nextPageToken !== 'string') return 'nextPageToken is not a string';
  const items = json.items;
  if (list !== 'instances.aggregatedList') return objectArrayProblem(items, 'items');
  if (items === undefined || items === null) return undefined;
  if (!isObject(items)) return 'items is not a map of scopes';
  for (const [scope, scoped] of Object.entries(items)) {
    if (!isObject(scoped)) return `items[${quoted(scope)}] is not an object`;
    const problem = objectArrayProblem(scoped.instances, `items[${quoted(scope)}].instances`);
    if (problem) return problem;
  }
  return undefined;
}

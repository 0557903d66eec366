/**
 * Fleet files: YAML or JSON (the `yaml` package reads both), validated field by field so a typo
 * names the field at fault instead of surfacing later as a cloud answering nothing.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { AutojoinError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { builtinSimModules } from '../builtins.js';
import type { Fleet, FleetAddresses, FleetChecker, FleetCredentials, FleetFieldSpec, FleetInstance, FleetModuleSpec, FleetService } from './fleet.js';
import type { FaultSpec, SimModule } from './types.js';

/** The fleet file is unreadable or invalid. `problems` lists every field at fault. */
export class FleetError extends AutojoinError {
  static override readonly configError = true;
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super('ERR_FLEET', problems.map((p) => `fleet: ${p}`).join('\n'), options);
    this.problems = problems;
  }
}

/** What a fleet is checked against: the modules that will serve it. */
export interface FleetSchema {
  /** `cloud:` value -> the module's fleet spec. */
  readonly clouds: ReadonlyMap<string, FleetModuleSpec>;
  /** Every SimApi name (the keys of `faults` and `page_size`). */
  readonly apis: readonly string[];
  /** Top-level blocks modules own, with their checks. */
  readonly blocks: ReadonlyMap<string, FleetFieldSpec>;
}

/** The schema of the fleets `modules` can serve. */
export function fleetSchema(modules: readonly SimModule[]): FleetSchema {
  const clouds = new Map<string, FleetModuleSpec>();
  const blocks = new Map<string, FleetFieldSpec>();
  for (const module of modules) {
    const spec = module.fleet ?? {};
    if (spec.cloud !== false) clouds.set(spec.cloud ?? module.provider, spec);
    for (const [name, block] of Object.entries(spec.blocks ?? {})) blocks.set(name, block);
  }
  return { clouds, apis: modules.flatMap((m) => m.apis.map((a) => a.name)), blocks };
}

type SchemaSource = FleetSchema | readonly SimModule[];
const toSchema = (source: SchemaSource): FleetSchema => (Array.isArray(source) ? fleetSchema(source as SimModule[]) : (source as FleetSchema));

/**
 * Read and validate a fleet file (`.yaml`, `.yml` or `.json`) against the modules that will serve it.
 * @param modules @default the composition's built-in simulator modules
 */
export async function loadFleet(path: string, modules?: SchemaSource): Promise<Fleet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FleetError([`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`], { cause: err });
  }
  try {
    return parseFleet(text, modules ?? (await builtinSimModules()));
  } catch (err) {
    // Name the file in every problem: a fleet is often one of several.
    if (err instanceof FleetError)
      throw new FleetError(
        err.problems.map((p) => `${path}: ${p}`),
        { cause: err.cause },
      );
    throw err;
  }
}

/** Parse fleet text (YAML or JSON) and validate it. */
export function parseFleet(text: string, modules: SchemaSource): Fleet {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new FleetError([`not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`], { cause: err });
  }
  return validateFleet(value ?? {}, modules);
}

/** Validate a parsed fleet document and fill defaults; throws {@link FleetError} listing every problem. */
export function validateFleet(value: unknown, modules: SchemaSource): Fleet {
  const v = new Validator(toSchema(modules));
  const fleet = v.fleet(value);
  if (v.problems.length > 0) throw new FleetError(v.problems);
  return fleet;
}

/** Validate instances added at run time (`POST /_sim/instances`), against the ids already present. */
export function validateInstances(value: unknown, modules: SchemaSource, existingIds: Iterable<string> = []): FleetInstance[] {
  const v = new Validator(toSchema(modules));
  const list = Array.isArray(value) ? value : [value];
  const seen = new Set(existingIds);
  const instances = list.map((item, i) => v.instance(item, Array.isArray(value) ? `instances[${i}]` : 'instance', seen));
  if (v.problems.length > 0) throw new FleetError(v.problems);
  return instances;
}

/** Validate one fault spec (`POST /_sim/faults`). */
export function validateFaultSpec(value: unknown, where = 'spec'): FaultSpec {
  const v = new Validator(fleetSchema([]));
  const spec = v.faultSpec(value, where);
  if (v.problems.length > 0) throw new FleetError(v.problems);
  return spec;
}

/** The demo fleet: every module's slice, merged in the modules' order. */
export function demoFleet(modules: readonly SimModule[]): Fleet {
  const fleet: Fleet = { credentials: {}, instances: [], services: [] };
  for (const module of modules) {
    const slice = module.fleet?.demo;
    if (!slice) continue;
    for (const [key, value] of Object.entries(slice)) {
      if (key === 'credentials') Object.assign(fleet.credentials, value);
      else if (key === 'instances') fleet.instances.push(...(value as FleetInstance[]));
      else if (key === 'services') fleet.services?.push(...(value as FleetService[]));
      else if (key === 'page_size') fleet.page_size = { ...fleet.page_size, ...(value as Record<string, number>) };
      else fleet[key] = value;
    }
  }
  return validateFleet(JSON.parse(JSON.stringify(fleet)), modules);
}

const FLEET_KEYS = ['credentials', 'instances', 'services', 'page_size', 'faults'] as const;
const INSTANCE_KEYS = [
  'id',
  'cloud',
  'name',
  'region',
  'zone',
  'state',
  'tags',
  'private_ipv4',
  'public_ipv4',
  'private_ipv6',
  'public_ipv6',
  'extra_nics',
  'appear_after_ms',
] as const;
const NIC_KEYS = ['private_ipv4', 'public_ipv4', 'private_ipv6', 'public_ipv6'] as const;
const SERVICE_KEYS = ['node', 'node_address', 'service', 'service_address', 'port', 'tags', 'datacenter', 'health', 'appear_after_ms'] as const;
const FAULT_KEYS = ['latency_ms', 'error', 'error_count', 'auth_reject', 'malformed', 'truncated', 'reset', 'rate_limit'] as const;
const ERROR_KINDS = ['throttle', 'server', 'unavailable', 'auth', 500, 503] as const;

type Obj = Record<string, unknown>;

/** Collects problems instead of stopping at the first, so one run shows every mistake. */
class Validator implements FleetChecker {
  readonly problems: string[] = [];
  readonly #schema: FleetSchema;

  constructor(schema: FleetSchema) {
    this.#schema = schema;
  }

  fleet(value: unknown): Fleet {
    const root = this.object(value, '(top level)');
    if (!root) return { credentials: {}, instances: [] };
    this.knownKeys(root, [...FLEET_KEYS, ...this.#schema.blocks.keys()], '');
    const fleet: Fleet = {
      credentials: this.credentials(root.credentials),
      instances: [],
    };
    const seen = new Set<string>();
    const instances = root.instances === undefined ? [] : this.array(root.instances, 'instances');
    fleet.instances = (instances ?? []).map((item, i) => this.instance(item, `instances[${i}]`, seen));
    if (root.services !== undefined) {
      fleet.services = (this.array(root.services, 'services') ?? []).map((item, i) => this.service(item, `services[${i}]`));
    }
    if (root.page_size !== undefined) {
      const sizes = this.object(root.page_size, 'page_size');
      if (sizes) {
        fleet.page_size = {};
        for (const [api, size] of Object.entries(sizes)) {
          const n = this.int(size, `page_size.${api}`, 1);
          if (!this.#schema.apis.includes(api)) this.problems.push(`page_size.${api}: no module serves an API named ${quote(api)}${this.#apiChoices(api)}`);
          else if (n !== undefined) fleet.page_size[api] = n;
        }
      }
    }
    // Checked by its module (src/intro/sim.ts) when the sim starts.
    if (root.intro !== undefined) fleet.intro = root.intro;
    if (root.faults !== undefined) {
      const faults = this.object(root.faults, 'faults');
      if (faults) {
        fleet.faults = {};
        for (const [api, spec] of Object.entries(faults)) {
          const checked = this.faultSpec(spec, `faults.${api}`);
          if (!this.#schema.apis.includes(api)) this.problems.push(`faults.${api}: no module serves an API named ${quote(api)}${this.#apiChoices(api)}`);
          else fleet.faults[api] = checked;
        }
      }
    }
    for (const [name, block] of this.#schema.blocks) {
      if (root[name] !== undefined) fleet[name] = block.check(root[name], name, this);
    }
    return fleet;
  }

  #apiChoices(api: string): string {
    const hint = didYouMean(api, this.#schema.apis);
    return hint || ` (the APIs: ${this.#schema.apis.join(', ') || 'none'})`;
  }

  #cloudChoices(cloud: string): string {
    const clouds = [...this.#schema.clouds.keys()];
    return didYouMean(cloud, clouds) || ` (the clouds: ${clouds.join(', ') || 'none'})`;
  }

  credentials(value: unknown): FleetCredentials {
    if (value === undefined || value === null) return {};
    const creds = this.object(value, 'credentials');
    if (!creds) return {};
    const out: FleetCredentials = {};
    for (const [cloud, entry] of Object.entries(creds)) {
      const spec = this.#schema.clouds.get(cloud);
      if (!spec) {
        this.problems.push(`credentials.${cloud}: unknown cloud ${quote(cloud)}${this.#cloudChoices(cloud)}`);
        continue;
      }
      const fields = this.object(entry, `credentials.${cloud}`);
      if (!fields) continue;
      const known = Object.keys(spec.credentials ?? {});
      this.knownKeys(fields, known, `credentials.${cloud}.`);
      const strings: Record<string, string> = {};
      for (const [key, field] of Object.entries(fields)) {
        if (!known.includes(key)) continue;
        const s = this.string(field, `credentials.${cloud}.${key}`);
        if (s !== undefined) strings[key] = s;
      }
      for (const [key, field] of Object.entries(spec.credentials ?? {})) {
        if (field.required && strings[key] === undefined && fields[key] === undefined) this.problems.push(`credentials.${cloud}.${key}: required`);
      }
      out[cloud] = strings;
    }
    return out;
  }

  instance(value: unknown, where: string, seen: Set<string>): FleetInstance {
    const raw = this.object(value, where);
    if (!raw) return { id: '', cloud: '' };
    const id = this.requiredString(raw.id, `${where}.id`) ?? '';
    if (id && seen.has(id)) this.problems.push(`${where}.id: ${quote(id)} is used by another instance`);
    seen.add(id);
    const cloud = this.requiredString(raw.cloud, `${where}.cloud`) ?? '';
    const spec = this.#schema.clouds.get(cloud);
    if (cloud && !spec) this.problems.push(`${where}.cloud: unknown cloud ${quote(cloud)}${this.#cloudChoices(cloud)}`);
    const own = spec?.instanceFields ?? {};
    // An unknown cloud's fields cannot be judged: report the cloud alone.
    if (spec || !cloud) this.knownKeys(raw, [...INSTANCE_KEYS, ...Object.keys(own)], `${where}.`);
    const instance: FleetInstance = { id, cloud, state: 'running' };
    for (const key of ['name', 'region', 'zone', 'state'] as const) {
      if (raw[key] !== undefined) {
        const s = this.string(raw[key], `${where}.${key}`);
        if (s !== undefined) instance[key] = s;
      }
    }
    if (raw.tags !== undefined) instance.tags = this.stringMap(raw.tags, `${where}.tags`);
    Object.assign(instance, this.addresses(raw, where));
    if (raw.extra_nics !== undefined) {
      instance.extra_nics = (this.array(raw.extra_nics, `${where}.extra_nics`) ?? []).map((nic, i) => {
        const path = `${where}.extra_nics[${i}]`;
        const fields = this.object(nic, path);
        if (!fields) return {};
        this.knownKeys(fields, NIC_KEYS, `${path}.`);
        return this.addresses(fields, path);
      });
    }
    if (raw.appear_after_ms !== undefined) instance.appear_after_ms = this.number(raw.appear_after_ms, `${where}.appear_after_ms`, 0);
    for (const [key, field] of Object.entries(own)) {
      if (raw[key] === undefined) continue;
      const value = field.check(raw[key], `${where}.${key}`, this);
      if (value !== undefined) instance[key] = value;
    }
    spec?.validateInstance?.(instance, where, this);
    return instance;
  }

  addresses(raw: Obj, where: string): FleetAddresses {
    const out: FleetAddresses = {};
    for (const key of ['private_ipv4', 'public_ipv4'] as const) {
      if (raw[key] === undefined) continue;
      const s = this.string(raw[key], `${where}.${key}`);
      if (s !== undefined && !isIPv4(s)) this.problems.push(`${where}.${key}: ${quote(s)} is not an IPv4 address`);
      else if (s !== undefined) out[key] = s;
    }
    for (const key of ['private_ipv6', 'public_ipv6'] as const) {
      if (raw[key] === undefined) continue;
      const s = this.string(raw[key], `${where}.${key}`);
      if (s !== undefined && !isIPv6(s)) this.problems.push(`${where}.${key}: ${quote(s)} is not an IPv6 address`);
      else if (s !== undefined) out[key] = s;
    }
    return out;
  }

  service(value: unknown, where: string): FleetService {
    const raw = this.object(value, where);
    const empty: FleetService = { node: '', node_address: '', service: '', port: 0 };
    if (!raw) return empty;
    this.knownKeys(raw, SERVICE_KEYS, `${where}.`);
    const service: FleetService = {
      node: this.requiredString(raw.node, `${where}.node`) ?? '',
      node_address: this.requiredString(raw.node_address, `${where}.node_address`) ?? '',
      service: this.requiredString(raw.service, `${where}.service`) ?? '',
      port: this.int(raw.port, `${where}.port`, 1, 65535) ?? 0,
      health: 'passing',
    };
    if (raw.service_address !== undefined) service.service_address = this.string(raw.service_address, `${where}.service_address`);
    if (raw.tags !== undefined) service.tags = this.stringList(raw.tags, `${where}.tags`);
    if (raw.datacenter !== undefined) service.datacenter = this.string(raw.datacenter, `${where}.datacenter`);
    if (raw.health !== undefined) {
      service.health = this.oneOf(raw.health, `${where}.health`, ['passing', 'warning', 'critical'] as const) ?? 'passing';
    }
    if (raw.appear_after_ms !== undefined) service.appear_after_ms = this.number(raw.appear_after_ms, `${where}.appear_after_ms`, 0);
    return service;
  }

  faultSpec(value: unknown, where: string): FaultSpec {
    const raw = this.object(value, where);
    if (!raw) return {};
    this.knownKeys(raw, FAULT_KEYS, `${where}.`);
    const spec: FaultSpec = {};
    if (raw.latency_ms !== undefined) spec.latency_ms = this.number(raw.latency_ms, `${where}.latency_ms`, 0);
    if (raw.error !== undefined) spec.error = this.oneOf(raw.error, `${where}.error`, ERROR_KINDS);
    if (raw.error_count !== undefined) spec.error_count = this.int(raw.error_count, `${where}.error_count`, 0);
    for (const key of ['auth_reject', 'malformed', 'truncated', 'reset'] as const) {
      if (raw[key] !== undefined) spec[key] = this.bool(raw[key], `${where}.${key}`);
    }
    if (raw.rate_limit !== undefined) {
      const limit = this.object(raw.rate_limit, `${where}.rate_limit`);
      if (limit) {
        this.knownKeys(limit, ['rps', 'burst'], `${where}.rate_limit.`);
        const rps = this.number(limit.rps, `${where}.rate_limit.rps`, Number.MIN_VALUE);
        const burst = this.int(limit.burst, `${where}.rate_limit.burst`, 1);
        if (rps !== undefined && burst !== undefined) spec.rate_limit = { rps, burst };
      }
    }
    return spec;
  }

  // --- scalar checks: each records a problem and returns undefined on a bad value ---

  object(value: unknown, where: string): Obj | undefined {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
    this.problems.push(`${where}: expected a mapping, got ${describe(value)}`);
    return undefined;
  }

  array(value: unknown, where: string): unknown[] | undefined {
    if (Array.isArray(value)) return value;
    this.problems.push(`${where}: expected a list, got ${describe(value)}`);
    return undefined;
  }

  knownKeys(raw: Obj, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(raw)) {
      if (!known.includes(key)) this.problems.push(`${prefix}${key}: unknown field${didYouMean(key, known)}`);
    }
  }

  string(value: unknown, where: string): string | undefined {
    if (typeof value === 'string') return value;
    this.problems.push(`${where}: expected a string, got ${describe(value)}`);
    return undefined;
  }

  requiredString(value: unknown, where: string): string | undefined {
    if (value === undefined || value === null) {
      this.problems.push(`${where}: required`);
      return undefined;
    }
    const s = this.string(value, where);
    if (s === '') {
      this.problems.push(`${where}: must not be empty`);
      return undefined;
    }
    return s;
  }

  /** Tags and labels: YAML turns `port: 8080` into a number, which a tag value clearly meant as text. */
  stringMap(value: unknown, where: string): Record<string, string> {
    const raw = this.object(value, where);
    const out: Record<string, string> = {};
    for (const [key, entry] of Object.entries(raw ?? {})) {
      if (typeof entry === 'string') out[key] = entry;
      else if (typeof entry === 'number' || typeof entry === 'boolean') out[key] = String(entry);
      else this.problems.push(`${where}.${key}: expected a string, got ${describe(entry)}`);
    }
    return out;
  }

  stringList(value: unknown, where: string): string[] {
    const list = this.array(value, where) ?? [];
    return list.flatMap((item, i) => {
      const s = this.string(item, `${where}[${i}]`);
      return s === undefined ? [] : [s];
    });
  }

  number(value: unknown, where: string, min: number): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
    const bound = min === Number.MIN_VALUE ? 'greater than 0' : `at least ${min}`;
    this.problems.push(`${where}: expected a number ${bound}, got ${describe(value)}`);
    return undefined;
  }

  int(value: unknown, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    this.problems.push(`${where}: expected a whole number ${range}, got ${describe(value)}`);
    return undefined;
  }

  bool(value: unknown, where: string): boolean | undefined {
    if (typeof value === 'boolean') return value;
    this.problems.push(`${where}: expected true or false, got ${describe(value)}`);
    return undefined;
  }

  oneOf<T extends string | number>(value: unknown, where: string, allowed: readonly T[]): T | undefined {
    if (allowed.includes(value as T)) return value as T;
    const shown = allowed.map((a) => (typeof a === 'string' ? quote(a) : String(a))).join(', ');
    const hint =
      typeof value === 'string'
        ? didYouMean(
            value,
            allowed.filter((a) => typeof a === 'string'),
          )
        : '';
    this.problems.push(`${where}: ${describe(value)} is not one of ${shown}${hint}`);
    return undefined;
  }
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quote(value);
  return String(value);
}

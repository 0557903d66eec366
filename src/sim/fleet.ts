/**
 * The fleet file: one description of a simulated estate, served by every simulator module.
 * YAML or JSON, snake_case like the clouds' own documents. The core knows only what every cloud
 * shares (instances with addresses and tags, catalog services, faults, page sizes); each module
 * declares its own cloud's instance fields and credential block ({@link FleetModuleSpec}).
 */
import type { FaultSpec } from './types.js';

/** The four address fields, on an instance and on each of its extra NICs. */
export interface FleetAddresses {
  private_ipv4?: string;
  public_ipv4?: string;
  /** Private (internal / ULA) IPv6. */
  private_ipv6?: string;
  /** Public (global unicast) IPv6. */
  public_ipv6?: string;
}

export interface FleetInstance extends FleetAddresses {
  /** Unique id, e.g. `i-0abc`, a VM name, a GCE instance name. */
  id: string;
  /** Which simulator module serves it (a module's `fleet.cloud`, usually its provider name). */
  cloud: string;
  name?: string;
  /** Region (`eu-west-1`, `westeurope`); a module may derive it from the zone. */
  region?: string;
  /** Availability zone (`eu-west-1a`, `us-central1-a`). */
  zone?: string;
  /** @default 'running' */
  state?: string;
  /** The cloud's key/value tags. */
  tags?: Record<string, string>;
  /** More NICs, for clouds that have them. */
  extra_nics?: FleetAddresses[];
  /** The instance exists only after this many milliseconds of sim time. */
  appear_after_ms?: number;
  /** Fields of the instance's own cloud, declared and checked by its module. */
  [field: string]: unknown;
}

/** A service catalog entry (a Consul-style catalog: node, address, service, port). */
export interface FleetService {
  node: string;
  node_address: string;
  service: string;
  service_address?: string;
  port: number;
  tags?: string[];
  datacenter?: string;
  /** Health: `passing` (default), `warning` or `critical`. */
  health?: 'passing' | 'warning' | 'critical';
  appear_after_ms?: number;
}

/** `credentials.<cloud>`: each module declares and checks its own block. */
export type FleetCredentials = Record<string, Record<string, string> | undefined>;

export interface Fleet {
  credentials: FleetCredentials;
  instances: FleetInstance[];
  services?: FleetService[];
  /** Per-API page sizes, e.g. `{ "aws-ec2": 1000 }` (a client's smaller page size still wins). */
  page_size?: Record<string, number>;
  /** Faults per SimApi name. */
  faults?: Record<string, FaultSpec>;
  /** Blocks of modules that keep estate beyond instances (`<name>: ...`), checked by their module. */
  [block: string]: unknown;
}

/** A part of a fleet: what one module contributes to the demo fleet. */
export interface FleetSlice {
  credentials?: FleetCredentials;
  instances?: FleetInstance[];
  services?: FleetService[];
  page_size?: Record<string, number>;
  [block: string]: unknown;
}

/** The checks a module's fleet fields use; every check records a problem and returns undefined on a bad value. */
export interface FleetChecker {
  readonly problems: string[];
  object(value: unknown, where: string): Record<string, unknown> | undefined;
  array(value: unknown, where: string): unknown[] | undefined;
  knownKeys(raw: Record<string, unknown>, known: readonly string[], prefix: string): void;
  string(value: unknown, where: string): string | undefined;
  requiredString(value: unknown, where: string): string | undefined;
  stringMap(value: unknown, where: string): Record<string, string>;
  stringList(value: unknown, where: string): string[];
  number(value: unknown, where: string, min: number): number | undefined;
  int(value: unknown, where: string, min: number, max?: number): number | undefined;
  bool(value: unknown, where: string): boolean | undefined;
  oneOf<T extends string | number>(value: unknown, where: string, allowed: readonly T[]): T | undefined;
}

/** One instance field a module adds: its documentation and its check. */
export interface FleetFieldSpec {
  /** One sentence for docs/sim.md. */
  help: string;
  /** Returns the checked value (undefined drops it) and records problems on `check`. */
  check(value: unknown, where: string, check: FleetChecker): unknown;
}

/** One field of a module's credential block. */
export interface FleetCredentialSpec {
  help: string;
  /** The block is refused without it. @default false */
  required?: boolean;
}

/** What a simulator module adds to the fleet file. */
export interface FleetModuleSpec {
  /** The `cloud:` value of its instances; `false` for a module with no instances or credentials. @default the module's `provider` */
  cloud?: string | false;
  /** One sentence on how this cloud reads the shared fields (docs/sim.md). */
  summary?: string;
  /** Instance fields of this cloud beyond the shared ones. */
  instanceFields?: Record<string, FleetFieldSpec>;
  /** The fields of `credentials.<cloud>`. */
  credentials?: Record<string, FleetCredentialSpec>;
  /** A top-level block this module owns (e.g. a registry of keys), with its check. */
  blocks?: Record<string, FleetFieldSpec>;
  /** Checks across one instance's fields, after each field passed its own check. */
  validateInstance?(instance: FleetInstance, where: string, check: FleetChecker): void;
  /** This module's part of the demo fleet (`discover sim` without `--fleet`). */
  demo?: FleetSlice;
  /**
   * The `i`-th instance (i from 0 to at least 32,767) of a large fleet of this cloud, for
   * `bench/fleet`: served with the demo slice's credentials, the config string this module's `paste`
   * derives from a fleet of them must find every one, by the address in `private_ipv4` (or another
   * address field). Ids and addresses unique per `i`. A new provider with this hook is benched with
   * no change to `bench/`; a module without it is listed there as not measured.
   * @example bench: (i) => ({ id: `vm-${i}`, cloud: 'mycloud', tags: { role: 'nomad-server' }, private_ipv4: benchAddress(10, i) })
   */
  bench?(i: number): FleetInstance;
}

/** A unique IPv4 address per `i` under `first.0.0.0/8` (i < 16,777,216), for {@link FleetModuleSpec.bench}. */
export function benchAddress(first: number, i: number): string {
  return `${first}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

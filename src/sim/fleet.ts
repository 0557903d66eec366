/**
 * The fleet file: one description of a simulated estate, served by every cloud module.
 * YAML or JSON. Field names are snake_case like the clouds' own documents.
 */
import type { FaultSpec } from './types.js';

export interface FleetInstance {
  /** Unique id, e.g. `i-0abc`, a VM name, a GCE instance name. */
  id: string;
  /** Which cloud serves it: `aws`, `azure`, `gce` (or any provider with a sim module). */
  cloud: string;
  name?: string;
  /** AWS/Azure region (`eu-west-1`, `westeurope`). For GCE, derived from zone. */
  region?: string;
  /** Availability zone or GCE zone (`eu-west-1a`, `us-central1-a`). */
  zone?: string;
  /** @default 'running' (GCE: RUNNING) */
  state?: string;
  /** AWS tags, Azure tags. */
  tags?: Record<string, string>;
  /** GCE labels. */
  labels?: Record<string, string>;
  /** GCE network tags. */
  network_tags?: string[];
  private_ipv4?: string;
  public_ipv4?: string;
  /** Private (internal / ULA) IPv6. */
  private_ipv6?: string;
  /** Public (global unicast) IPv6. */
  public_ipv6?: string;
  /** More NICs/addresses for clouds that have them. */
  extra_nics?: Array<{ private_ipv4?: string; public_ipv4?: string; private_ipv6?: string; public_ipv6?: string }>;
  /** Azure resource group. */
  resource_group?: string;
  /** Azure VM scale set; with `orchestration: flexible` for flexible-mode sets. */
  scale_set?: string;
  orchestration?: 'uniform' | 'flexible';
  /** Azure subscription (default: the fleet's). */
  subscription?: string;
  /** GCE project (default: the fleet's). */
  project?: string;
  /** AWS ECS: run as a task in this cluster and family instead of an EC2 instance. */
  ecs?: { cluster: string; family: string };
  /** The instance exists only after this many milliseconds of sim time. */
  appear_after_ms?: number;
}

/** A Consul catalog entry. */
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

export interface FleetCredentials {
  aws?: { access_key_id: string; secret_access_key: string; session_token?: string; account_id?: string };
  azure?: { tenant_id: string; client_id: string; client_secret: string; subscription_id: string };
  gce?: { project: string; client_email: string };
  consul?: { token?: string };
  [cloud: string]: Record<string, string | undefined> | undefined;
}

export interface Fleet {
  credentials: FleetCredentials;
  instances: FleetInstance[];
  services?: FleetService[];
  /** Per-API page sizes, e.g. `{ "aws-ec2": 1000 }` (a client's smaller MaxResults still wins). */
  page_size?: Record<string, number>;
  /** Faults per SimApi name. */
  faults?: Record<string, FaultSpec>;
  /** Client introduction (Nomad's JWKS, token minting, registration): read and checked by src/intro/sim.ts. */
  intro?: unknown;
}

/**
 * `--from-config`: the retry-join settings of a Nomad or Consul agent config (HCL or JSON), so
 * `discover join` runs exactly what the agent would: same entries, interval, attempts and
 * default port, and Nomad's validation messages.
 *
 * - Nomad: `server { server_join { ... } }` / `client { server_join { ... } }` (and the deprecated
 *   `server { retry_join, retry_max, retry_interval }`); server mode joins serf at `ports.serf`
 *   (4648), client mode the servers' RPC port 4647 (`resolveServer`'s fixed default).
 * - Consul: top-level `retry_join` / `retry_interval` / `retry_max` (or the `_wan` trio), joined at
 *   `ports.serf_lan` (8301) or `ports.serf_wan` (8302).
 *
 * Several files merge as Nomad merges `-config` files: a later file overrides only with non-zero
 * values, and a later `retry_join` list replaces the earlier one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseGoDuration } from '../duration.js';
import { JoinConfigError } from './errors.js';

export type AgentKind = 'nomad' | 'consul';
/** Nomad: `server` | `client`; Consul: `lan` | `wan`. */
export type JoinMode = 'server' | 'client' | 'lan' | 'wan';

/** What an agent config says about joining. */
export interface AgentJoinConfig {
  agent: AgentKind;
  mode: JoinMode;
  entries: string[];
  /** @default 30000 (both agents' default) */
  retryIntervalMs: number;
  /** 0 = forever */
  retryMax: number;
  defaultPort: number;
  /** Deprecation notices, with Nomad's wording. */
  warnings: string[];
}

/** The settings one file gives; undefined where it says nothing. */
export interface PartialJoin {
  agent: AgentKind;
  mode: JoinMode;
  entries?: string[];
  retryIntervalMs?: number;
  retryMax?: number;
  defaultPort: number;
  warnings: string[];
}

export interface ReadAgentConfigOptions {
  /** Which joiner to run. @default Nomad: `server` when `server.enabled`, else `client`; Consul: `lan` */
  mode?: JoinMode;
}

type Doc = Record<string, unknown>;

/** hcl2json turns every block into a list of objects; JSON configs may use either form. */
function block(parent: Doc | undefined, key: string): Doc | undefined {
  const value = parent?.[key];
  if (Array.isArray(value)) {
    const objects = value.filter((v): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v));
    return objects.length === 0 ? undefined : Object.assign({}, ...objects);
  }
  return typeof value === 'object' && value !== null ? (value as Doc) : undefined;
}

function stringList(value: unknown, path: string, source: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new JoinConfigError(path, `${source}: ${path} must be a list of strings`);
  }
  return value as string[];
}

function intValue(value: unknown, path: string, source: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new JoinConfigError(path, `${source}: ${path} must be an integer >= 0`);
  return n;
}

function durationValue(value: unknown, path: string, source: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'string' ? parseGoDuration(value) : undefined;
  // Nomad's convertDurations wording.
  if (ms === undefined || ms < 0) throw new JoinConfigError(path, `${source}: ${path} can't parse time duration ${String(value)}`);
  return ms;
}

const nonEmpty = (list: string[] | undefined): list is string[] => list !== undefined && list.length > 0;

/** Which agent wrote this document. */
export function detectAgent(doc: Doc): AgentKind | undefined {
  if ('retry_join' in doc || 'retry_join_wan' in doc || 'start_join' in doc) return 'consul';
  if ('server' in doc || 'client' in doc) return 'nomad';
  return undefined;
}

/**
 * The join settings of one parsed document (pure: the HCL is already JSON).
 * @param source the file name, for messages
 * @throws JoinConfigError with Nomad's validation texts
 */
export function extractAgentJoin(doc: Doc, source: string, options: ReadAgentConfigOptions = {}): PartialJoin {
  const agent = detectAgent(doc);
  if (agent === undefined) throw new JoinConfigError(source, `${source}: no Nomad server/client block and no Consul retry_join`);
  return agent === 'nomad' ? extractNomad(doc, source, options.mode) : extractConsul(doc, source, options.mode);
}

function extractNomad(doc: Doc, source: string, wanted: JoinMode | undefined): PartialJoin {
  if (wanted === 'lan' || wanted === 'wan') throw new JoinConfigError(source, `${source}: mode ${wanted} is for Consul configs; use server or client`);
  const server = block(doc, 'server');
  const client = block(doc, 'client');
  const serverJoin = block(server, 'server_join');
  const clientJoin = block(client, 'server_join');
  const warnings: string[] = [];
  const fail = (message: string) => {
    throw new JoinConfigError(source, `${source}: ${message}`);
  };

  // command/agent/retry_join.go Validate, with its exact texts.
  const sjRetryJoin = stringList(serverJoin?.retry_join, 'server.server_join.retry_join', source);
  const sjStartJoin = stringList(serverJoin?.start_join, 'server.server_join.start_join', source);
  const oldRetryJoin = stringList(server?.retry_join, 'server.retry_join', source);
  const oldStartJoin = stringList(server?.start_join, 'server.start_join', source);
  const oldRetryMax = intValue(server?.retry_max, 'server.retry_max', source);
  const oldRetryInterval = durationValue(server?.retry_interval, 'server.retry_interval', source);
  if (nonEmpty(sjRetryJoin)) {
    if (nonEmpty(oldRetryJoin)) fail('server_join and retry_join cannot both be defined; prefer setting the server_join block');
    if (nonEmpty(oldStartJoin)) fail('server_join and start_join cannot both be defined; prefer setting the server_join block');
    if (oldRetryMax) fail('server_join and retry_max cannot both be defined; prefer setting the server_join block');
    if (oldRetryInterval) fail('server_join and retry_interval cannot both be defined; prefer setting the server_join block');
    if (nonEmpty(sjStartJoin)) fail('retry_join and start_join cannot both be defined');
  }
  if (clientJoin && clientJoin.start_join !== undefined) fail('start_join is not supported for Nomad clients');

  const serverEnabled = server?.enabled === true || server?.enabled === 'true';
  const mode = wanted ?? (serverEnabled || client === undefined ? 'server' : 'client');
  if (mode === 'server') {
    const ports = block(doc, 'ports');
    const defaultPort = intValue(ports?.serf, 'ports.serf', source) ?? 4648;
    if (!nonEmpty(sjRetryJoin) && nonEmpty(oldRetryJoin)) {
      warnings.push('using deprecated retry_join fields. Upgrade configuration to use server_join');
      return { agent: 'nomad', mode, entries: oldRetryJoin, retryMax: oldRetryMax, retryIntervalMs: oldRetryInterval, defaultPort, warnings };
    }
    return {
      agent: 'nomad',
      mode,
      entries: sjRetryJoin,
      retryMax: intValue(serverJoin?.retry_max, 'server.server_join.retry_max', source),
      retryIntervalMs: durationValue(serverJoin?.retry_interval, 'server.server_join.retry_interval', source),
      defaultPort,
      warnings,
    };
  }
  return {
    agent: 'nomad',
    mode,
    entries: stringList(clientJoin?.retry_join, 'client.server_join.retry_join', source),
    retryMax: intValue(clientJoin?.retry_max, 'client.server_join.retry_max', source),
    retryIntervalMs: durationValue(clientJoin?.retry_interval, 'client.server_join.retry_interval', source),
    // The client dials the servers' RPC port; Nomad's resolveServer hard-codes 4647.
    defaultPort: 4647,
    warnings,
  };
}

function extractConsul(doc: Doc, source: string, wanted: JoinMode | undefined): PartialJoin {
  if (wanted === 'server' || wanted === 'client') throw new JoinConfigError(source, `${source}: mode ${wanted} is for Nomad configs; use lan or wan`);
  const mode = wanted ?? 'lan';
  const suffix = mode === 'wan' ? '_wan' : '';
  const ports = block(doc, 'ports');
  const defaultPort = intValue(ports?.[`serf_${mode}`], `ports.serf_${mode}`, source) ?? (mode === 'wan' ? 8302 : 8301);
  return {
    agent: 'consul',
    mode,
    entries: stringList(doc[`retry_join${suffix}`], `retry_join${suffix}`, source),
    retryMax: intValue(doc[`retry_max${suffix}`], `retry_max${suffix}`, source),
    retryIntervalMs: durationValue(doc[`retry_interval${suffix}`], `retry_interval${suffix}`, source),
    defaultPort,
    warnings: [],
  };
}

const isBlock = (value: unknown): boolean =>
  (typeof value === 'object' && value !== null && !Array.isArray(value)) ||
  (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v)));

/**
 * Merges parsed config files the way Nomad merges `-config` files: blocks merge key by key, a
 * later non-zero value wins (so nothing can be reset to 0), a later non-empty list replaces.
 */
export function mergeConfigDocs(docs: readonly Doc[]): Doc {
  const merged: Doc = {};
  for (const doc of docs) {
    for (const [key, value] of Object.entries(doc)) {
      const current = merged[key];
      if (isBlock(value) && isBlock(current)) merged[key] = mergeConfigDocs([block(merged, key) ?? {}, block(doc, key) ?? {}]);
      else if (isBlock(value)) merged[key] = block(doc, key);
      else if (Array.isArray(value) ? value.length > 0 : value !== 0 && value !== '' && value !== false && value !== null) merged[key] = value;
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}

/** Fills the defaults both agents share (30s, forever) and checks there is something to join. */
function withDefaults(part: PartialJoin, source: string): AgentJoinConfig {
  if (!nonEmpty(part.entries)) {
    const where = part.agent === 'consul' ? `retry_join${part.mode === 'wan' ? '_wan' : ''}` : `${part.mode}.server_join.retry_join`;
    throw new JoinConfigError('', `${source}: no ${where} entries`);
  }
  return {
    agent: part.agent,
    mode: part.mode,
    entries: part.entries,
    retryIntervalMs: part.retryIntervalMs ?? 30_000,
    retryMax: part.retryMax ?? 0,
    defaultPort: part.defaultPort,
    warnings: part.warnings,
  };
}

/** Parses one file: `.json` as JSON, anything else as HCL. */
async function parseFile(path: string): Promise<Doc> {
  const text = await readFile(path, 'utf8');
  try {
    if (extname(path) === '.json') return JSON.parse(text) as Doc;
    const { parse } = await import('@cdktf/hcl2json');
    return (await parse(path, text)) as Doc;
  } catch (error) {
    throw new JoinConfigError(path, `${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** A directory stands for its `.hcl` and `.json` files in lexical order, as Nomad loads them. */
async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (error) {
      throw new JoinConfigError(path, `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((n) => n.endsWith('.hcl') || n.endsWith('.json')).sort();
    files.push(...names.map((n) => join(path, n)));
  }
  return files;
}

/**
 * Reads the join settings of Nomad or Consul agent config files (or folders of them).
 * @example
 * const cfg = await readAgentConfig(['/etc/nomad.d']);
 * await retryJoin({ entries: cfg.entries, retryInterval: cfg.retryIntervalMs, retryMax: cfg.retryMax, defaultPort: cfg.defaultPort, join });
 * @throws JoinConfigError (unreadable file, HCL syntax, Nomad's validation messages, no entries)
 */
export async function readAgentConfig(paths: readonly string[], options: ReadAgentConfigOptions = {}): Promise<AgentJoinConfig> {
  const files = await expandPaths(paths);
  if (files.length === 0) throw new JoinConfigError('', `${paths.join(', ')}: no .hcl or .json config files`);
  const docs = await Promise.all(files.map(parseFile));
  const source = files.join(', ');
  return withDefaults(extractAgentJoin(mergeConfigDocs(docs), source, options), source);
}

/**
 * Where the Kubernetes API is and how to authenticate, as client-go finds it: a kubeconfig (the
 * `kubeconfig` argument, else `KUBECONFIG`, else `~/.kube/config`; its current context), else the
 * in-cluster service account (`KUBERNETES_SERVICE_HOST`/`_PORT`, token and CA files).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatHostPort, redactUrl } from '../../src/kit/index.js';

/** Where a pod's service-account files are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A resolved connection: the API server, its trust, and one way to authenticate. */
export interface KubeConnection {
  /** `https://host:port` (a path prefix is kept). */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  /** kubeconfig `insecure-skip-tls-verify: true`. */
  insecure?: boolean;
  token?: string;
  basic?: { username: string; password: string };
  /**
   * The cluster's `proxy-url` (`http://`, `https://`, or `socks5h://` for a `socks5://` one), which
   * client-go uses for this cluster instead of HTTPS_PROXY / NO_PROXY. May carry credentials: log
   * it only through `redactUrl`.
   */
  proxy?: string;
  /** For the log and errors: `kubeconfig /path (context x)` or `in-cluster service account`. Never a secret. */
  source: string;
}

interface NamedEntry<T> {
  name?: string;
  [key: string]: unknown;
  value?: T;
}

interface KubeconfigFile {
  path: string;
  doc: Record<string, unknown>;
}

/** A problem with the configuration, reported with every source tried. */
export class KubeConfigError extends Error {}

function b64(value: unknown, where: string): Buffer {
  if (typeof value !== 'string') throw new KubeConfigError(`${where} is not a base64 string`);
  return Buffer.from(value, 'base64');
}

async function fileOrData(entry: Record<string, unknown>, fileKey: string, dataKey: string, dir: string, where: string): Promise<Buffer | undefined> {
  if (entry[dataKey] !== undefined && entry[dataKey] !== '') return b64(entry[dataKey], `${where}.${dataKey}`);
  const file = entry[fileKey];
  if (typeof file !== 'string' || file === '') return undefined;
  const full = path.resolve(dir, file);
  try {
    return await readFile(full);
  } catch (error) {
    throw new KubeConfigError(`${where}.${fileKey}: cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function named(doc: Record<string, unknown>, list: string, field: string, name: string, sources: string): Record<string, unknown> {
  const entries = (Array.isArray(doc[list]) ? doc[list] : []) as NamedEntry<unknown>[];
  const entry = entries.find((e) => e?.name === name);
  if (!entry || typeof entry[field] !== 'object' || entry[field] === null) throw new KubeConfigError(`${sources}: no ${field} named "${name}"`);
  return entry[field] as Record<string, unknown>;
}

/** client-go's merge of several files: for maps and named lists, the first file that sets a name wins. */
function merge(files: readonly KubeconfigFile[]): { doc: Record<string, unknown>; dirOf: Map<unknown, string> } {
  const doc: Record<string, unknown> = { clusters: [], users: [], contexts: [] };
  const dirOf = new Map<unknown, string>();
  for (const file of files) {
    if (doc['current-context'] === undefined && typeof file.doc['current-context'] === 'string' && file.doc['current-context'] !== '') {
      doc['current-context'] = file.doc['current-context'];
    }
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      const target = doc[list] as NamedEntry<unknown>[];
      for (const entry of (Array.isArray(file.doc[list]) ? file.doc[list] : []) as NamedEntry<unknown>[]) {
        if (entry?.name !== undefined && !target.some((e) => e.name === entry.name)) {
          target.push(entry);
          dirOf.set(entry, path.dirname(file.path));
        }
      }
    }
  }
  return { doc, dirOf };
}

/** The files to read: the argument, else `KUBECONFIG` (a `:`-separated list), else `~/.kube/config`. */
export function kubeconfigPaths(argument: string | undefined, env: Record<string, string | undefined>): { paths: string[]; explicit: boolean } {
  if (argument) return { paths: [argument], explicit: true };
  const list = (env.KUBECONFIG ?? '').split(process.platform === 'win32' ? ';' : ':').filter(Boolean);
  if (list.length) return { paths: list, explicit: true };
  const home = env.HOME ?? env.USERPROFILE;
  return { paths: home ? [path.join(home, '.kube', 'config')] : [], explicit: false };
}

/** Runs a kubeconfig `exec` credential plugin and reads its ExecCredential. */
function runExec(
  exec: Record<string, unknown>,
  server: string,
  dir: string,
  signal: AbortSignal,
  where: string,
): Promise<{ token?: string; cert?: Buffer; key?: Buffer }> {
  const command = exec.command;
  if (typeof command !== 'string' || command === '') return Promise.reject(new KubeConfigError(`${where}.exec.command is missing`));
  if (exec.interactiveMode === 'Always')
    return Promise.reject(new KubeConfigError(`${where}.exec: interactiveMode Always needs a terminal; discovery runs without one`));
  const apiVersion = typeof exec.apiVersion === 'string' ? exec.apiVersion : 'client.authentication.k8s.io/v1';
  const env: Record<string, string | undefined> = { ...process.env };
  for (const pair of (Array.isArray(exec.env) ? exec.env : []) as Array<{ name?: string; value?: string }>) if (pair?.name) env[pair.name] = pair.value ?? '';
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo === true) spec.cluster = { server };
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });
  // A bare command name is looked up on PATH; a relative path is relative to the kubeconfig (client-go's rule).
  const file = command.includes('/') ? path.resolve(dir, command) : command;
  const args = (Array.isArray(exec.args) ? exec.args : []).map(String);
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, signal, timeout: 60_000, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(new KubeConfigError(`${where}.exec: ${command} failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      try {
        const status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status ?? {};
        const result: { token?: string; cert?: Buffer; key?: Buffer } = {};
        if (typeof status.token === 'string' && status.token) result.token = status.token;
        if (typeof status.clientCertificateData === 'string') result.cert = Buffer.from(status.clientCertificateData);
        if (typeof status.clientKeyData === 'string') result.key = Buffer.from(status.clientKeyData);
        if (!result.token && !result.cert) return reject(new KubeConfigError(`${where}.exec: ${command} printed no token or client certificate`));
        resolve(result);
      } catch {
        reject(new KubeConfigError(`${where}.exec: ${command} printed no ExecCredential JSON`));
      }
    });
  });
}

/**
 * A cluster's `proxy-url`, checked as client-go checks it: `http://`, `https://` or `socks5://`,
 * anything else refused by name. `socks5://` becomes `socks5h://`: Go's SOCKS5 dialer hands the host
 * name to the proxy, so an API server name that resolves only beyond it (an `ssh -D` bastion) works.
 * Credentials in the URL never appear in the error.
 */
export function proxyUrl(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new KubeConfigError(`${where}.proxy-url is not a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KubeConfigError(`${where}.proxy-url ${redactUrl(value)} is not a URL`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  if (url.protocol === 'socks5:') return value.replace(/^socks5:/i, 'socks5h:');
  throw new KubeConfigError(
    `${where}.proxy-url ${redactUrl(value)}: ${url.protocol.slice(0, -1)} proxies are not supported (kubectl and client-go take http://, https:// and socks5://)`,
  );
}

/** The connection of the current context of the given kubeconfig files (merged). */
export async function fromKubeconfig(paths: readonly string[], signal: AbortSignal): Promise<KubeConnection> {
  const files: KubeconfigFile[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // client-go skips missing files of a KUBECONFIG list, but not a missing explicit one.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && paths.length > 1) continue;
      throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (error) {
      throw new KubeConfigError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof doc !== 'object' || doc === null) throw new KubeConfigError(`kubeconfig ${file} is empty`);
    files.push({ path: file, doc: doc as Record<string, unknown> });
  }
  const sources = `kubeconfig ${paths.join(':')}`;
  if (files.length === 0) throw new KubeConfigError(`${sources}: no file found`);
  const { doc, dirOf } = merge(files);
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string') throw new KubeConfigError(`${sources}: no current-context`);
  const context = named(doc, 'contexts', 'context', contextName, sources);
  const clusterName = String(context.cluster ?? '');
  const userName = String(context.user ?? '');
  const cluster = named(doc, 'clusters', 'cluster', clusterName, sources);
  const clusterEntry = (doc.clusters as NamedEntry<unknown>[]).find((e) => e.name === clusterName);
  const clusterDir = dirOf.get(clusterEntry) ?? path.dirname(files[0]?.path ?? '.');
  if (typeof cluster.server !== 'string' || !/^https?:\/\//.test(cluster.server))
    throw new KubeConfigError(`${sources}: cluster "${clusterName}" has no http(s) server`);
  const connection: KubeConnection = { server: cluster.server.replace(/\/+$/, ''), source: `${sources} (context ${contextName})` };
  const ca = await fileOrData(cluster, 'certificate-authority', 'certificate-authority-data', clusterDir, `cluster "${clusterName}"`);
  if (ca) connection.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) connection.insecure = true;
  if (typeof cluster['tls-server-name'] === 'string' && cluster['tls-server-name']) connection.servername = cluster['tls-server-name'];
  const proxy = proxyUrl(cluster['proxy-url'], `cluster "${clusterName}"`);
  if (proxy) connection.proxy = proxy;
  if (userName === '') return connection;
  const user = named(doc, 'users', 'user', userName, sources);
  const userEntry = (doc.users as NamedEntry<unknown>[]).find((e) => e.name === userName);
  const userDir = dirOf.get(userEntry) ?? clusterDir;
  const where = `user "${userName}"`;
  const cert = await fileOrData(user, 'client-certificate', 'client-certificate-data', userDir, where);
  const key = await fileOrData(user, 'client-key', 'client-key-data', userDir, where);
  if ((cert === undefined) !== (key === undefined)) throw new KubeConfigError(`${where}: a client certificate needs its key, and the reverse`);
  if (cert && key) Object.assign(connection, { cert, key });
  if (typeof user.token === 'string' && user.token) connection.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile) {
    connection.token = (await fileOrData(user, 'tokenFile', '', userDir, where))?.toString('utf8').trim();
  } else if (typeof user.username === 'string' && typeof user.password === 'string') {
    connection.basic = { username: user.username, password: user.password };
  } else if (typeof user.exec === 'object' && user.exec !== null) {
    const credential = await runExec(user.exec as Record<string, unknown>, connection.server, userDir, signal, where);
    if (credential.token) connection.token = credential.token;
    if (credential.cert && credential.key) Object.assign(connection, { cert: credential.cert, key: credential.key });
  } else if (user['auth-provider'] !== undefined) {
    throw new KubeConfigError(
      `${where}: auth-provider plugins were removed from client-go; use an exec plugin (for example kubelogin or gke-gcloud-auth-plugin)`,
    );
  }
  return connection;
}

/** client-go's `InClusterConfig`: both variables set, the service account's token and CA read. */
export async function inCluster(env: Record<string, string | undefined>): Promise<KubeConnection> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeConfigError('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set');
  const dir = env.AUTOJOIN_K8S_SERVICEACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
  let token: string;
  try {
    // Read at every lookup: projected tokens rotate (about hourly).
    token = (await readFile(path.join(dir, 'token'), 'utf8')).trim();
  } catch (error) {
    throw new KubeConfigError(
      `in-cluster: cannot read the service-account token in ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const connection: KubeConnection = { server: `https://${formatHostPort(host, port)}`, token, source: 'in-cluster service account' };
  try {
    connection.ca = await readFile(path.join(dir, 'ca.crt'));
  } catch {
    // client-go goes on with the system roots when ca.crt is missing.
  }
  return connection;
}

/**
 * go-discover's order: the kubeconfig, and when it cannot be loaded, the in-cluster account; when
 * both fail, both reasons.
 */
export async function resolveConnection(argument: string | undefined, env: Record<string, string | undefined>, signal: AbortSignal): Promise<KubeConnection> {
  const { paths } = kubeconfigPaths(argument, env);
  let kubeconfigProblem: string;
  try {
    if (paths.length === 0) throw new KubeConfigError('no kubeconfig: HOME is not set');
    return await fromKubeconfig(paths, signal);
  } catch (error) {
    if (!(error instanceof KubeConfigError)) throw error;
    kubeconfigProblem = error.message;
  }
  try {
    return await inCluster(env);
  } catch (error) {
    if (!(error instanceof KubeConfigError)) throw error;
    throw new KubeConfigError(`error loading kubeconfig: ${kubeconfigProblem}; error loading in-cluster config: ${error.message}`);
  }
}

/**
 * `provider=consul`: the instances of a service in the Consul catalog, as Nomad clients find
 * their servers (`/v1/catalog/service/nomad?tag=rpc`), or only the healthy ones (`passing`).
 * Plain HTTP through the shared client; no SDK.
 */
import {
  apiCall,
  defineProvider,
  formatHostPort,
  MalformedResponseError,
  NetworkError,
  parseGoBool,
  parseRetryAfter,
  printableLine,
  type ProviderContext,
  ProviderError,
  type RequestTlsOptions,
  type Target,
} from '../../src/kit/index.js';
import {
  type CatalogServiceEntry,
  catalogTargets,
  consulBaseUrl,
  datacentersUrl,
  type HealthServiceEntry,
  healthTargets,
  malformed,
  type ServiceQuery,
  serviceUrl,
} from './extract.js';
import { consulTls } from './tls.js';
import { datacenterOrder, goQuotedList, hclogList, malformedDatacenters, QUERY_WAIT, type Random } from './walk.js';

/** Statuses where Consul says to slow down: 429 (another server may answer) and 503 (none can). */
const THROTTLE_STATUSES = new Set([429, 503]);

/** Options of {@link createConsulProvider}. */
export interface ConsulProviderOptions {
  /** Draws the shuffle of remote datacenters (`walk_datacenters`). @default Math.random */
  random?: Random;
}

/**
 * The consul provider with its randomness injected (tests fix the datacenter shuffle with it).
 * @example new Discover({ builtins: false, providers: [createConsulProvider({ random: () => 0 })] })
 */
export function createConsulProvider(options: ConsulProviderOptions = {}) {
  const random = options.random ?? Math.random;
  return defineProvider({
    name: 'consul',
    summary: 'Consul catalog: the instances of a service (all, or only those passing their checks).',
    args: {
      service: {
        type: 'string',
        default: 'nomad',
        help: "The service name: Nomad's `server_service_name` (`nomad`; servers register it with tags `http`, `rpc` and `serf`), or `nomad-client`.",
      },
      tag: { type: 'list', help: 'Tags every instance must carry, comma-separated (Consul ANDs them), e.g. `serf`.' },
      datacenter: { type: 'string', help: "The datacenter to ask about (`?dc=`); the agent's own when absent." },
      walk_datacenters: {
        type: 'bool',
        default: false,
        help:
          "Walk the datacenters as Nomad clients do: the agent's own first, then up to 8 others in random order, " +
          'stopping at the first with instances; reads are `stale` and sorted `near=_agent`. Not with `datacenter`.',
      },
      passing: {
        type: 'bool',
        default: false,
        help: 'Only instances whose checks all pass (`/v1/health/service?passing`); otherwise every registered instance (`/v1/catalog/service`), as Nomad asks.',
      },
      address: {
        type: 'string',
        default: '127.0.0.1:8500',
        env: ['CONSUL_HTTP_ADDR'],
        help: 'The Consul agent: `host:port` or an http(s) URL.',
      },
      scheme: {
        type: 'enum',
        values: ['http', 'https'],
        help: 'URI scheme for a bare `host:port` address; when absent, `https` if `CONSUL_HTTP_SSL` is true, else `http`.',
      },
      token: { type: 'string', secret: true, env: ['CONSUL_HTTP_TOKEN'], help: 'ACL token, sent as `X-Consul-Token`.' },
      ca_file: { type: 'string', env: ['CONSUL_CACERT'], help: "PEM file of the CA(s) that sign Consul's certificate; replaces the system store." },
      cert_file: { type: 'string', env: ['CONSUL_CLIENT_CERT'], help: 'PEM client certificate, for agents with `verify_incoming`; needs `key_file`.' },
      key_file: { type: 'string', env: ['CONSUL_CLIENT_KEY'], help: 'PEM private key of `cert_file`.' },
      tls_server_name: {
        type: 'string',
        env: ['CONSUL_TLS_SERVER_NAME'],
        help: "The name Consul's certificate must carry (and SNI), when it is not the address's host.",
      },
      verify_ssl: {
        type: 'bool',
        default: true,
        env: ['CONSUL_HTTP_SSL_VERIFY'],
        help: '`false` accepts any certificate from Consul (its `InsecureSkipVerify`).',
      },
    },
    notes: [
      'Each instance gives `address:port` with the service port, so joiners need no default port. The address is ' +
        'the service address, or the node address when the service registered none.',
      'Without `passing` the catalog is read, with no health filter, exactly as Nomad clients discover servers; ' +
        'with `passing=true` only instances whose every check (node checks included) passes.',
      'A bare `host:port` address uses `scheme` (else https when `CONSUL_HTTP_SSL` is true, else http). Consul answers 429/503 when it ' +
        'rate-limits: those count as throttling, and `Retry-After` is honoured.',
      "`walk_datacenters=true` is Nomad's client discovery (`consulDiscoveryImpl`): `GET /v1/catalog/datacenters` lists " +
        "them nearest first, so the agent's own leads; with more than two, the others are shuffled and the list cut to 9. " +
        'Each is read with `dc`, `near=_agent`, `stale` and `wait=2000ms` until one has instances; a datacenter that fails is ' +
        "skipped, and the call fails only when none has instances and one failed. The `-v` log carries Nomad's lines: " +
        '`bootstrap contacting Consul DCs`, `discovered following servers`, `unable to query service ...`, `no Nomad Servers advertising service ...`.',
      "TLS follows the Consul CLI's variables: `CONSUL_CACERT`, `CONSUL_CLIENT_CERT` + `CONSUL_CLIENT_KEY`, `CONSUL_TLS_SERVER_NAME`, " +
        '`CONSUL_HTTP_SSL_VERIFY` (or the arguments above, which win). They apply to an https address only; the files are read at each lookup.',
    ],
    examples: [
      'provider=consul service=nomad tag=serf',
      'provider=consul service=nomad tag=rpc datacenter=eu-west passing=true address=consul.internal:8501 scheme=https',
      'provider=consul service=nomad tag=rpc walk_datacenters=true',
      'provider=consul tag=rpc address=consul.internal:8501 scheme=https ca_file=/etc/consul.d/ca.pem cert_file=/etc/consul.d/cli.pem key_file=/etc/consul.d/cli-key.pem',
    ],
    validate(args) {
      const problems: Array<{ key: string; message: string }> = [];
      // A header value cannot hold a newline or a control character: Node would throw a raw TypeError.
      if (args.token !== undefined && /[\u0000-\u001f\u007f]/.test(args.token)) {
        return [{ key: 'token', message: 'token holds a newline or another control character (a copy-paste slip?); the value is not shown' }];
      }
      if (args.walk_datacenters && args.datacenter !== undefined) {
        problems.push({ key: 'walk_datacenters', message: 'walk_datacenters=true walks every datacenter: leave out datacenter' });
      }
      if ((args.cert_file === undefined) !== (args.key_file === undefined)) {
        const missing = args.cert_file === undefined ? 'cert_file' : 'key_file';
        problems.push({
          key: missing,
          message: `cert_file and key_file go together: ${missing} is missing (or set CONSUL_CLIENT_${missing === 'cert_file' ? 'CERT' : 'KEY'})`,
        });
      }
      if (problems.length > 0) return problems;
      const base = consulBaseUrl(args.address, args.scheme === 'https');
      if (base === undefined) {
        return [{ key: 'address', message: `address "${args.address}" is not host:port or an http(s) URL without credentials or query` }];
      }
      if (args.scheme !== undefined && base.protocol !== `${args.scheme}:`) {
        return [{ key: 'scheme', message: `scheme "${args.scheme}" contradicts address "${args.address}"` }];
      }
      return [];
    },
    async discover(args, ctx) {
      const https = args.scheme === undefined ? (parseGoBool(ctx.env.CONSUL_HTTP_SSL ?? '') ?? false) : args.scheme === 'https';
      const base = consulBaseUrl(args.address, https) as URL;
      const tls = base.protocol === 'https:' ? await consulTls(args) : undefined;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (args.token) headers['x-consul-token'] = args.token;
      const get = (url: URL, operation: string) => getJson(ctx, url, operation, headers, tls);
      const query: ServiceQuery = { service: args.service, passing: args.passing, tags: args.tag ?? [] };
      const operation = args.passing ? 'HealthService' : 'CatalogService';

      const lookup = async (url: URL): Promise<Target[]> => {
        const body = await get(url, operation);
        const problem = malformed(body, args.passing ? 'health' : 'catalog');
        if (problem) throw new MalformedResponseError(`discover-consul: ${operation}: ${problem}`, `${url.origin}${url.pathname}`);
        return args.passing ? healthTargets(body as HealthServiceEntry[]) : catalogTargets(body as CatalogServiceEntry[]);
      };

      if (!args.walk_datacenters) {
        const targets = await lookup(serviceUrl(base, { ...query, dc: args.datacenter }));
        ctx.log.debug(`discover-consul: ${targets.length} instance(s) of ${args.service}`);
        return targets;
      }

      const listUrl = datacentersUrl(base);
      const listed = await get(listUrl, 'CatalogDatacenters');
      const problem = malformedDatacenters(listed);
      if (problem) throw new MalformedResponseError(`discover-consul: CatalogDatacenters: ${problem}`, `${listUrl.origin}${listUrl.pathname}`);
      const datacenters = datacenterOrder(listed as string[], random);
      ctx.log.debug(`discover-consul: bootstrap contacting Consul DCs: consul_dcs=${hclogList(datacenters)}`);
      const failures: Array<{ dc: string; error: ProviderError | MalformedResponseError }> = [];
      for (const dc of datacenters) {
        let targets: Target[];
        try {
          targets = await lookup(serviceUrl(base, { ...query, dc, near: '_agent', stale: true, wait: QUERY_WAIT }));
        } catch (error) {
          // As Nomad: a datacenter that cannot answer is noted and the walk goes on.
          if (!(error instanceof ProviderError || error instanceof MalformedResponseError)) throw error;
          failures.push({ dc, error });
          ctx.log.debug(`discover-consul: ${unableToQuery(args.service, dc, error)}`);
          continue;
        }
        if (targets.length > 0) {
          const servers = targets.map((t) => formatHostPort(t.address, t.port));
          ctx.log.info(`discover-consul: discovered following servers: servers=${hclogList(servers)}`);
          return targets;
        }
      }
      if (failures.length > 0) {
        const reasons = failures.map((f) => unableToQuery(args.service, f.dc, f.error));
        const providerErrors = failures.map((f) => f.error).filter((e): e is ProviderError => e instanceof ProviderError);
        const retryAfters = providerErrors.map((e) => e.retryAfterMs).filter((ms): ms is number => ms !== undefined);
        throw new ProviderError('consul', reasons.join('; '), {
          operation,
          throttled: providerErrors.length === failures.length && providerErrors.every((e) => e.throttled),
          retryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : undefined,
          cause: failures[0]?.error,
        });
      }
      ctx.log.warn(`discover-consul: no Nomad Servers advertising service ${JSON.stringify(args.service)} in Consul datacenters: ${goQuotedList(datacenters)}`);
      return [];
    },
  });
}

export default createConsulProvider();

/** One Consul GET under the shared retry policy: its JSON body, or a ProviderError naming `operation`. */
async function getJson(
  ctx: ProviderContext,
  url: URL,
  operation: string,
  headers: Record<string, string>,
  tls: RequestTlsOptions | undefined,
): Promise<unknown> {
  ctx.log.debug(`discover-consul: GET ${url.pathname}${url.search}`);
  return apiCall(ctx, { provider: 'consul', operation, toError: (error) => toConsulError(error, operation) }, async () => {
    const response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true, ...(tls ? { tls } : {}) });
    if (response.status !== 200) {
      // Consul's error bodies are one line of plain text ("ACL not found", "No cluster leader").
      const text = printableLine(response.text().trim().split('\n')[0] ?? '', 200) || `HTTP ${response.status}`;
      throw new ProviderError('consul', text, {
        operation,
        status: response.status,
        throttled: THROTTLE_STATUSES.has(response.status),
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], Date.now()),
      });
    }
    return response.json<unknown>();
  });
}

/** A failed request -> a ProviderError naming the operation; autojoin's own errors (abort, timeout, status) pass through. */
function toConsulError(error: unknown, operation: string): unknown {
  if (!(error instanceof NetworkError)) return error;
  return new ProviderError('consul', error.message, { operation, cause: error });
}

/** Nomad's per-datacenter error text, around the reason this project's error gives. */
function unableToQuery(service: string, dc: string, error: Error): string {
  const reason = error.message.replace(/^discover-consul: \w+(?: failed)?: /, '');
  return `unable to query service ${JSON.stringify(service)} from Consul datacenter ${JSON.stringify(dc)}: ${reason}`;
}

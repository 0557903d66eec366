/**
 * `provider=consul`: the instances of a service in the Consul catalog, as Nomad clients find
 * their servers (`/v1/catalog/service/nomad?tag=rpc`), or only the healthy ones (`passing`).
 * Plain HTTP through the shared client; no SDK.
 */
import { AbortError, AutojoinError, MalformedResponseError, NetworkError, ProviderError } from '../../src/errors.js';
import { parseGoBool } from '../../src/duration.js';
import { classifyHttpError, logRetries, parseRetryAfter, retryCall } from '../../src/http/retry.js';
import { defineProvider } from '../../src/provider.js';
import { type CatalogServiceEntry, catalogTargets, consulBaseUrl, type HealthServiceEntry, healthTargets, malformed, serviceUrl } from './extract.js';

/** Statuses where Consul says to slow down: 429 (another server may answer) and 503 (none can). */
const THROTTLE_STATUSES = new Set([429, 503]);

export default defineProvider({
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
  },
  notes: [
    'Each instance gives `address:port` with the service port, so joiners need no default port. The address is ' +
      'the service address, or the node address when the service registered none.',
    'Without `passing` the catalog is read, with no health filter, exactly as Nomad clients discover servers; ' +
      'with `passing=true` only instances whose every check (node checks included) passes.',
    'A bare `host:port` address uses `scheme` (else https when `CONSUL_HTTP_SSL` is true, else http). Consul answers 429/503 when it ' +
      'rate-limits: those count as throttling, and `Retry-After` is honoured.',
  ],
  examples: [
    'provider=consul service=nomad tag=serf',
    'provider=consul service=nomad tag=rpc datacenter=eu-west passing=true address=consul.internal:8501 scheme=https',
  ],
  validate(args) {
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
    const url = serviceUrl(base, {
      service: args.service,
      passing: args.passing,
      tags: args.tag ?? [],
      dc: args.datacenter,
    });
    const operation = args.passing ? 'HealthService' : 'CatalogService';
    ctx.log.debug(`discover-consul: GET ${url.pathname}${url.search}`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (args.token) headers['x-consul-token'] = args.token;

    const body = await retryCall(
      async () => {
        let response: Awaited<ReturnType<typeof ctx.http.request>>;
        try {
          response = await ctx.http.request(url, { headers, signal: ctx.signal, okStatus: () => true });
        } catch (error) {
          if (error instanceof AbortError || (error instanceof AutojoinError && error.code === 'ERR_TIMEOUT')) throw error;
          if (!(error instanceof NetworkError)) throw error;
          throw new ProviderError('consul', error.message, { operation, cause: error });
        }
        if (response.status !== 200) {
          // Consul's error bodies are one line of plain text ("ACL not found", "No cluster leader").
          const text = response.text().trim().split('\n')[0]?.slice(0, 200) || `HTTP ${response.status}`;
          throw new ProviderError('consul', text, {
            operation,
            status: response.status,
            throttled: THROTTLE_STATUSES.has(response.status),
            retryAfterMs: parseRetryAfter(response.headers['retry-after'], Date.now()),
          });
        }
        return response.json<unknown>();
      },
      {
        // Network failures retry like the shared policy says; a ProviderError built from one has no status.
        maxAttempts: ctx.maxAttempts,
        classify: (error) => (error instanceof ProviderError && error.status === undefined ? { retry: true } : classifyHttpError(error)),
        signal: ctx.signal,
        deadline: ctx.deadline,
        onRetry: logRetries(ctx.log),
      },
    );
    const problem = malformed(body, args.passing ? 'health' : 'catalog');
    if (problem) throw new MalformedResponseError(`discover-consul: ${operation}: ${problem}`, `${url.origin}${url.pathname}`);
    const targets = args.passing
      ? healthTargets(body as HealthServiceEntry[])
      : catalogTargets(body as CatalogServiceEntry[]);
    ctx.log.debug(`discover-consul: ${targets.length} instance(s) of ${args.service}`);
    return targets;
  },
});

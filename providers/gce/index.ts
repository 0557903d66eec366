/**
 * The `gce` provider: Compute Engine instances by network tag and/or label, on the official
 * `@google-cloud/compute` client (REST) with google-auth-library. The SDK is imported only
 * inside `discover()`.
 */
import { type ArgProblem, defineProvider } from '../../src/kit/index.js';
import { extractTargets, type GceAddrType } from './extract.js';
import { instanceFilter, zoneFilter } from './filter.js';

/** Compute Engine instance statuses (`Instance.status`). */
export const GCE_STATUSES = ['PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'STOPPED', 'SUSPENDING', 'SUSPENDED', 'REPAIRING', 'TERMINATED'] as const;

/** Label keys: lower-case letters (international allowed), digits, `_`, `-`; a letter first; 63 at most. */
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;

const ARGS = {
  project_name: {
    type: 'string',
    env: ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT'],
    help: 'The project to search. Default: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, the project_id of the service-account key, then the metadata server (/computeMetadata/v1/project/project-id).',
  },
  tag_value: { type: 'string', help: 'The network tag an instance must carry (tags.items).' },
  label_key: { type: 'string', help: 'The label key to filter on. Required if label_value is set.' },
  label_value: { type: 'string', help: 'The label value to filter on. Required if label_key is set.' },
  zone_pattern: {
    type: 'string',
    help: 'A RE2 regular expression for the zones to search, matched against the whole zone name, e.g. us-west1-.*, or us-(west|east)1-.*. Default: every zone.',
  },
  credentials_file: {
    type: 'string',
    env: ['GOOGLE_APPLICATION_CREDENTIALS'],
    help: 'The path to a credentials JSON file: a service-account key (type service_account; its token_uri is honoured) or gcloud user credentials (authorized_user). Default: GOOGLE_APPLICATION_CREDENTIALS, the gcloud well-known file, then the metadata server.',
  },
  addr_type: {
    type: 'enum',
    values: ['private_v4', 'public_v4', 'private_v6', 'public_v6'],
    default: 'private_v4',
    help: 'private_v4 (networkIP, the internal IPv4), public_v4 (an access config natIP), private_v6 (ipv6Address, the internal IPv6) or public_v6 (an IPv6 access config externalIpv6). The primary interface (nic0) is read first, then the others.',
  },
  status: {
    type: 'list',
    default: ['RUNNING'],
    help: `Instance statuses to return, comma-separated (${GCE_STATUSES.join(', ')}), or any.`,
  },
  endpoint: {
    type: 'url',
    help: 'The compute API endpoint, scheme://host[:port] (e.g. a Private Service Connect endpoint or a simulator). Default: https://compute.googleapis.com.',
  },
} as const;

interface GceArgsView {
  tag_value?: string | undefined;
  label_key?: string | undefined;
  label_value?: string | undefined;
  zone_pattern?: string | undefined;
  status: string[];
  endpoint?: string | undefined;
}

/** The status set to keep, or undefined for any. */
export function statusSet(status: readonly string[]): Set<string> | undefined {
  const upper = status.map((s) => s.trim().toUpperCase()).filter(Boolean);
  return upper.includes('ANY') ? undefined : new Set(upper);
}

/** Cross-argument checks, go-discover's messages where it has them. */
export function checkArgs(args: GceArgsView): ArgProblem[] {
  const problems: ArgProblem[] = [];
  if (!args.tag_value && !args.label_key && !args.label_value) {
    problems.push({ key: 'tag_value', message: 'tag_value or label_key must be provided' });
  }
  if (Boolean(args.label_key) !== Boolean(args.label_value)) {
    problems.push({ key: args.label_key ? 'label_value' : 'label_key', message: 'label_key and label_value must both be set or both be empty' });
  }
  if (args.label_key && !LABEL_KEY.test(args.label_key)) {
    problems.push({
      key: 'label_key',
      message: `label_key ${JSON.stringify(args.label_key)} is not a GCE label key (lower-case letters, digits, _ and -, starting with a letter, 63 at most)`,
    });
  }
  if (args.zone_pattern) {
    try {
      new RegExp(args.zone_pattern.replace(/\(\?P</g, '(?<'), 'u');
    } catch {
      problems.push({ key: 'zone_pattern', message: `zone_pattern ${JSON.stringify(args.zone_pattern)} is not a valid regular expression` });
    }
  }
  const unknown = args.status.filter((s) => s.toUpperCase() !== 'ANY' && !(GCE_STATUSES as readonly string[]).includes(s.toUpperCase()));
  if (unknown.length > 0 || args.status.length === 0) {
    problems.push({
      key: 'status',
      message: `status ${JSON.stringify(args.status.join(','))} is not a list of ${GCE_STATUSES.join(', ')} or any`,
    });
  }
  if (args.endpoint) {
    const url = new URL(args.endpoint);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.username || url.password) {
      problems.push({ key: 'endpoint', message: 'endpoint takes scheme://host[:port] only: the client adds /compute/v1/...' });
    }
  }
  return problems;
}

export default defineProvider({
  name: 'gce',
  summary: 'Google Compute Engine instances by network tag and/or label (@google-cloud/compute, REST).',
  packages: ['@google-cloud/compute', 'google-auth-library'],
  args: ARGS,
  notes: [
    'Credentials, first found: credentials_file (or GOOGLE_APPLICATION_CREDENTIALS): a service-account key, exchanged for a token at its token_uri (JWT bearer grant, RS256), or gcloud authorized_user credentials; the gcloud well-known file ($CLOUDSDK_CONFIG/application_default_credentials.json, else $HOME/.config/gcloud/..., %APPDATA%\\gcloud\\... on Windows); then the metadata server: GET /computeMetadata/v1/instance/ (detection), then the default service account token, with Metadata-Flavor: Google. GCE_METADATA_HOST (host:port) moves the metadata server (default metadata.google.internal); METADATA_SERVER_DETECTION=none turns it off.',
    'Project, first found: project_name, GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, the key file project_id, then the metadata server (/computeMetadata/v1/project/project-id).',
    'Proxies: every call (compute, token and metadata) goes through the shared HTTP stack, so HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply to all of them. On a VM behind a proxy, put metadata.google.internal,169.254.169.254 in NO_PROXY.',
    'IAM permissions: compute.instances.list (roles/compute.viewer has it); with zone_pattern also compute.zones.list. OAuth scope: https://www.googleapis.com/auth/compute.',
    'Listing: without zone_pattern, one instances.aggregatedList over every zone (returnPartialSuccess=false: an unreachable zone fails the call rather than hiding its instances); with zone_pattern, zones.list (filter name eq <zone_pattern>) then instances.list for each zone, 8 zones at a time. Every page is read (500 instances a page). The label and status conditions are sent as a server-side filter, e.g. (labels.role = "consul") AND (status = "RUNNING"); the network tag is matched client-side, and every condition is checked again client-side.',
    'Partial responses: each list call asks only for the fields discovery reads (X-Goog-FieldMask, the fields system parameter: id, name, zone, status, labels, tags, the addresses of each network interface), about a tenth of an instance. A server that answers 400 to a masked request is asked again without the mask, for the rest of the call.',
    'Each API call makes at most 4 attempts (the SDK itself retries nothing): throttling (403/429 rateLimitExceeded, userRateLimitExceeded, RESOURCE_EXHAUSTED; Retry-After honoured), 5xx answers, connection resets and truncated bodies are retried with exponential backoff and jitter, never past the call timeout. Auth failures (401, invalid_grant) and other 4xx fail at once with a ProviderError naming the operation, the HTTP status and the Google error reason; a 200 that is not the list asked for (HTML, an empty body, JSON of another shape such as items that is not a list) fails at once with a MalformedResponseError (ERR_MALFORMED_RESPONSE); no partial list is returned.',
    'The built package loads a bundle whose protobuf descriptor holds only what the three methods called send and the fields their partial responses carry (docs/performance.md); run from sources, the first call in a process spends about half a second building the full protobuf root. Later calls reuse it.',
    'Differences from go-discover: only RUNNING instances by default (status= widens it; go-discover returns any status); addr_type chooses the address (go-discover: networkIP of nic0 only); without zone_pattern a single aggregated listing replaces zones.list + one instances.list per zone; the key file project_id and GOOGLE_CLOUD_PROJECT are used before the metadata server; label values are quoted and escaped in the filter; label_key, zone_pattern and status are checked before any call.',
  ],
  examples: [
    'provider=gce tag_value=consul-server',
    'provider=gce project_name=my-project zone_pattern=us-west1-.* label_key=role label_value=nomad-server',
    'provider=gce project_name=my-project tag_value=consul credentials_file=/etc/gce/sa.json addr_type=public_v4',
    'provider=gce tag_value=consul status=RUNNING,STOPPING addr_type=private_v6',
  ],
  validate: (args) => checkArgs(args),
  async discover(args, ctx) {
    const { resolveAuth, metadataProjectId, offGce } = await import('./auth.js');
    const { createClients } = await import('./client.js');
    const auth = await resolveAuth(args.credentials_file, ctx).catch((err: unknown) => {
      throw offGce(err, 'no credentials: give credentials_file= (or set GOOGLE_APPLICATION_CREDENTIALS) and project_name=');
    });
    let project = args.project_name || auth.projectId;
    if (!project) {
      ctx.log.info('discover-gce: Looking up project name');
      project = await metadataProjectId(ctx).catch((err: unknown) => {
        throw offGce(err, 'no project: give project_name= (or set GOOGLE_CLOUD_PROJECT)');
      });
    }
    ctx.log.info(`discover-gce: Project name is ${JSON.stringify(project)} (credentials: ${auth.source})`);
    const statuses = statusSet(args.status);
    const onlyStatus = statuses && statuses.size === 1 ? [...statuses][0] : undefined;
    const filter = instanceFilter({ labelKey: args.label_key, labelValue: args.label_value, status: onlyStatus });
    const clients = createClients(args.endpoint, auth.client, ctx);
    try {
      ctx.log.info(args.zone_pattern ? `discover-gce: Looking up zones matching ${args.zone_pattern}` : 'discover-gce: Listing instances in every zone');
      const selection = {
        addrType: args.addr_type as GceAddrType,
        tagValue: args.tag_value || undefined,
        labelKey: args.label_key || undefined,
        labelValue: args.label_value || undefined,
        statuses,
      };
      const listed = await clients.list({ project, filter, zoneFilter: zoneFilter(args.zone_pattern) }, (instances) => extractTargets(instances, selection));
      if (listed.zones) ctx.log.info(`discover-gce: Found zones ${JSON.stringify(listed.zones)}`);
      ctx.log.debug(`discover-gce: ${listed.listed} instances listed in ${listed.requests} requests, ${listed.results.length} match`);
      return listed.results;
    } finally {
      await clients.close();
    }
  },
});

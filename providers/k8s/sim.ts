/**
 * A Kubernetes API server as the simulator serves it (provider-apis.md §1), on the HTTPS
 * listener only: `GET /api/v1/namespaces/{ns}/pods` with `labelSelector` (equality, set-based,
 * existence), `fieldSelector` (the pod fields the real server supports), `limit`/`continue`
 * paging, bearer-token auth (401 `Status` Unauthorized), 429 TooManyRequests with `Retry-After`.
 * At start it writes a kubeconfig pointing at itself, with its CA and the fleet's token.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  fleetCredentials,
  type LabelRequirement,
  labelsMatch,
  parseLabelSelector,
  type SimApi,
  type SimContext,
  type SimErrorKind,
  type SimModule,
  type SimRequest,
  type SimResponse,
  simJson,
  simRoutes,
  tokenAccepted,
  visibleInstances,
} from '../../src/kit/index.js';
import { k8sFleet, type PodInstance } from './sim-fleet.js';

export const API_NAME = 'k8s-api';

const PHASE: Record<string, string> = { running: 'Running', pending: 'Pending', stopped: 'Succeeded', failed: 'Failed', unknown: 'Unknown' };

/** A `Status` object, the body of every API error. */
function status(code: number, reason: string, message: string, headers: Record<string, string> = {}, details?: Record<string, unknown>): SimResponse {
  return simJson(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }, headers);
}

function errorResponse(kind: SimErrorKind): SimResponse {
  switch (kind) {
    case 'throttle':
      return status(429, 'TooManyRequests', 'Too many requests, please try again later.', { 'retry-after': '1' }, { retryAfterSeconds: 1 });
    case 'server':
      return status(500, 'InternalError', 'Internal error occurred: etcdserver: request timed out');
    case 'unavailable':
      return status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    case 'auth':
      return status(401, 'Unauthorized', 'Unauthorized');
  }
}

function uid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The pod object the API returns for a fleet instance. */
export function podObject(pod: PodInstance): Record<string, unknown> {
  const namespace = pod.namespace ?? 'default';
  const phase = PHASE[pod.state ?? 'running'] ?? pod.state ?? 'Running';
  const podIP = pod.host_network ? pod.host_ip : (pod.private_ipv4 ?? pod.private_ipv6);
  const readyStatus = phase === 'Running' && pod.ready_condition !== false ? 'True' : 'False';
  const conditions = [
    { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-05T10:00:01Z' },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-05T10:00:00Z' },
    ...(pod.ready_condition === 'none' ? [] : [{ type: 'Ready', status: readyStatus, lastProbeTime: null, lastTransitionTime: '2026-01-05T10:00:05Z' }]),
    { type: 'ContainersReady', status: readyStatus, lastProbeTime: null, lastTransitionTime: '2026-01-05T10:00:05Z' },
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-05T10:00:00Z' },
  ];
  const name = pod.name ?? pod.id;
  return {
    metadata: {
      name,
      namespace,
      uid: uid(`${namespace}/${name}`),
      resourceVersion: '1001',
      creationTimestamp: '2026-01-05T10:00:00Z',
      labels: pod.tags ?? {},
      annotations: pod.annotations ?? {},
    },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'hashicorp/consul:1.20',
          ports: (pod.container_ports ?? []).map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            containerPort: p.container_port,
            ...(p.host_port ? { hostPort: p.host_port } : {}),
            protocol: 'TCP',
          })),
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      ...(pod.node_name ? { nodeName: pod.node_name } : {}),
      ...(pod.host_network ? { hostNetwork: true } : {}),
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
    status: {
      phase,
      conditions: phase === 'Pending' ? conditions.filter((c) => c.type === 'PodScheduled') : conditions,
      ...(pod.host_ip ? { hostIP: pod.host_ip, hostIPs: [{ ip: pod.host_ip }] } : {}),
      ...(podIP && phase !== 'Pending' ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: '2026-01-05T10:00:00Z',
      qosClass: 'BestEffort',
    },
  };
}

/** The pod fields a field selector may name (the real server's list), with the value of an unset one. */
const POD_FIELDS: Record<string, string> = {
  'metadata.name': '',
  'metadata.namespace': '',
  'spec.nodeName': '',
  'spec.restartPolicy': '',
  'spec.schedulerName': '',
  'spec.serviceAccountName': '',
  'spec.hostNetwork': 'false',
  'status.phase': '',
  'status.podIP': '',
  'status.nominatedNodeName': '',
};

function fieldValue(pod: Record<string, unknown>, field: string): string {
  let current: unknown = pod;
  for (const part of field.split('.')) current = (current as Record<string, unknown> | undefined)?.[part];
  return current === undefined || current === null ? (POD_FIELDS[field] ?? '') : String(current);
}

/** A field selector; throws the API server's complaint for an unsupported field. */
export function parseFieldSelector(text: string): Array<(pod: Record<string, unknown>) => boolean> {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new Error(`invalid selector: '${text}'; can't understand '${part}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!(field in POD_FIELDS)) throw new Error(`field label not supported: ${field}`);
    return op === '!=' ? (pod) => fieldValue(pod, field) !== value : (pod) => fieldValue(pod, field) === value;
  });
}

interface ContinueToken {
  start: number;
  query: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    return Number.isInteger(token.start) && typeof token.query === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

function listPods(req: SimRequest, ctx: SimContext, namespace: string): SimResponse {
  if (req.scheme !== 'https') return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'Client sent an HTTP request to an HTTPS server.\n' };
  if (!tokenAccepted(req, fleetCredentials<{ token?: string }>(ctx, 'k8s')?.token)) return errorResponse('auth');
  const params = req.url.searchParams;
  let labelReqs: LabelRequirement[];
  let fieldReqs: Array<(pod: Record<string, unknown>) => boolean>;
  try {
    labelReqs = parseLabelSelector(params.get('labelSelector') ?? '');
    fieldReqs = parseFieldSelector(params.get('fieldSelector') ?? '');
  } catch (error) {
    return status(400, 'BadRequest', (error as Error).message);
  }
  const query = `${namespace}|${params.get('labelSelector') ?? ''}|${params.get('fieldSelector') ?? ''}`;
  const name = (pod: PodInstance) => pod.name ?? pod.id;
  const matching = visibleInstances<PodInstance>(ctx, 'k8s')
    .filter((pod) => (pod.namespace ?? 'default') === decodeURIComponent(namespace) && labelsMatch(labelReqs, pod.tags ?? {}))
    .sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  // Pod objects are built for the chunk only, unless a field selector must read them all.
  const pods: Array<PodInstance | Record<string, unknown>> = fieldReqs.length
    ? matching.map(podObject).filter((pod) => fieldReqs.every((r) => r(pod)))
    : matching;
  let start = 0;
  const continueText = params.get('continue');
  if (continueText) {
    const token = decodeContinue(continueText);
    if (!token || token.query !== query) return status(400, 'BadRequest', 'continue key is not valid: the query changed or the key is malformed');
    start = token.start;
  }
  const limitText = params.get('limit');
  const limit = limitText && /^\d+$/.test(limitText) && Number(limitText) > 0 ? Number(limitText) : undefined;
  // Without `limit` the server returns everything; a fleet's page size is a server-side cap on chunks.
  const cap = ctx.fleet.page_size?.[API_NAME];
  const size = limit === undefined ? pods.length : Math.min(limit, cap ?? limit);
  const items = pods.slice(start, start + size).map((pod) => (fieldReqs.length ? pod : podObject(pod as PodInstance)));
  const more = start + size < pods.length;
  const metadata: Record<string, unknown> = { resourceVersion: '1001' };
  if (more) metadata.continue = encodeContinue({ start: start + size, query });
  // remainingItemCount is left out when selectors are used, as the real server does.
  if (more && !params.get('labelSelector') && !params.get('fieldSelector')) metadata.remainingItemCount = pods.length - start - size;
  return simJson(
    200,
    { kind: 'PodList', apiVersion: 'v1', metadata, items },
    { 'x-kubernetes-pf-flowschema-uid': uid('global-default'), 'x-kubernetes-pf-prioritylevel-uid': uid('global-default-pl') },
  );
}

const api: SimApi = simRoutes(
  { name: API_NAME, summary: 'Kubernetes API server, HTTPS only (`GET /api/v1/namespaces/{ns}/pods`, `limit`/`continue`)', errorResponse },
  [{ method: 'GET', path: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/, handle: (req, ctx, [namespace]) => listPods(req, ctx, namespace as string) }],
);

/** Where the simulator writes its kubeconfig. */
export function kubeconfigPath(ctx: Pick<SimContext, 'stateDir'>): string {
  return path.join(ctx.stateDir, 'k8s-kubeconfig.yaml');
}

/** A kubeconfig for the simulator: its HTTPS URL, its CA file, the fleet's token. */
export function simKubeconfig(ctx: SimContext): string {
  const token = fleetCredentials<{ token?: string }>(ctx, 'k8s')?.token ?? '';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: sim',
    '  cluster:',
    `    server: ${ctx.httpsUrl}`,
    `    certificate-authority: ${JSON.stringify(ctx.caPath)}`,
    'users:',
    '- name: sim-reader',
    '  user:',
    `    token: ${JSON.stringify(token)}`,
    'contexts:',
    '- name: sim',
    '  context:',
    '    cluster: sim',
    '    user: sim-reader',
    'current-context: sim',
    '',
  ].join('\n');
}

const k8sSim: SimModule = {
  provider: 'k8s',
  apis: [api],
  fleet: k8sFleet,
  connect: {
    config: "`kubeconfig=<the sim's temporary folder>/k8s-kubeconfig.yaml` (written at start)",
    env: 'none (the kubeconfig carries the CA path and token)',
    why: 'an API server over HTTPS with its own CA, reached through a kubeconfig as kubectl would',
  },
  async setup(ctx) {
    await writeFile(kubeconfigPath(ctx), simKubeconfig(ctx), { mode: 0o600 });
  },
  paste(ctx) {
    const pods = ctx.fleet.instances.filter((i) => i.cloud === 'k8s') as PodInstance[];
    const first = pods.find((p) => Object.keys(p.tags ?? {}).length > 0);
    if (!first) return undefined;
    const selector = Object.entries(first.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return {
      provider: 'k8s',
      config: `provider=k8s kubeconfig=${kubeconfigPath(ctx)} namespace=${first.namespace ?? 'default'} label_selector="${selector}"`,
      env: {},
    };
  },
};

export default k8sSim;

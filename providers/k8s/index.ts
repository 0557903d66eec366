/**
 * `provider=k8s`: the pods of a namespace by label and field selector, through the Kubernetes
 * API (`GET /api/v1/namespaces/{ns}/pods`, every chunk), found as go-discover's k8s provider
 * finds them: kubeconfig first, else the in-cluster service account.
 */
import { defineProvider, redactUrl } from '../../src/kit/index.js';
import { PORT_ANNOTATION } from './extract.js';

export default defineProvider({
  name: 'k8s',
  summary: 'Kubernetes pods by label and field selector (pod IP, or host IP with host_network), with the port from an annotation.',
  args: {
    kubeconfig: {
      type: 'string',
      help: 'Path to the kubeconfig file (its current context). Else `KUBECONFIG` (a `:`-separated list, merged), else `~/.kube/config`, else the in-cluster service account.',
    },
    namespace: { type: 'string', default: 'default', help: 'Namespace to search for pods.' },
    label_selector: { type: 'string', help: 'Label selector value to filter pods, e.g. `app=consul,component=server`.' },
    field_selector: { type: 'string', help: 'Field selector value to filter pods, e.g. `spec.nodeName=node-1`.' },
    host_network: { type: 'bool', default: false, help: '`true` if the pod host IP and host ports should be used.' },
  },
  notes: [
    `Only pods that are Running, Ready when they carry a Ready condition, and have an IP are returned; each pod skipped is said in the \`-v\` log with the reason. The annotation \`${PORT_ANNOTATION}\` gives the port (\`ip:port\`): a container port of that name (its \`hostPort\` with \`host_network=true\`), else a number (Go's \`ParseInt\` syntax: \`8301\`, \`0x206d\`).`,
    'Connection: the current context of the kubeconfig (client certificates and keys as files or data, `token`, `tokenFile`, ' +
      'basic auth, `exec` credential plugins, `certificate-authority(-data)`, `tls-server-name`); when no kubeconfig loads, the ' +
      'in-cluster service account (`KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, its token re-read at every lookup, its CA). ' +
      "A cluster's `proxy-url` (`http://`, `https://` or `socks5://`, credentials allowed) carries its calls instead of HTTPS_PROXY / NO_PROXY, as in kubectl and client-go; a SOCKS5 proxy is handed the API server's host name, as Go's dialer does; other schemes are refused by name. " +
      '`AUTOJOIN_K8S_SERVICEACCOUNT_DIR` moves the service-account folder (default `/var/run/secrets/kubernetes.io/serviceaccount`).',
    'Plain REST through the shared HTTP client, not `@kubernetes/client-node`: it is heavy to load, its 2.x line brings an undici ' +
      'that crashes on Node 20 (sdk-notes.md §9), and it would bypass the shared proxy choice, timeouts and loopback guard; one ' +
      'paged GET with kubeconfig parsing (the `yaml` package already used here) needs no more.',
    'The list is read in chunks of 500 with `limit`/`continue`; an expired continue token (410) restarts it. 429 (API Priority ' +
      'and Fairness) waits for `Retry-After`; 5xx and resets are retried within the timeout. RBAC: `list` on `pods` in the namespace.',
  ],
  examples: [
    'provider=k8s label_selector="app=consul,component=server"',
    'provider=k8s namespace=nomad label_selector="app=nomad" host_network=true kubeconfig=/etc/nomad/kubeconfig',
  ],
  async discover(args, ctx) {
    const { resolveConnection, KubeConfigError } = await import('./config.js');
    const { listPods } = await import('./client.js');
    const { podTargets } = await import('./extract.js');
    const { ProviderError } = await import('../../src/kit/index.js');
    let connection: Awaited<ReturnType<typeof resolveConnection>>;
    try {
      connection = await resolveConnection(args.kubeconfig, ctx.env, ctx.signal);
    } catch (error) {
      if (error instanceof KubeConfigError) throw new ProviderError('k8s', error.message, { operation: 'LoadConfig', cause: error });
      throw error;
    }
    const via = connection.proxy ? ` via its proxy-url ${redactUrl(connection.proxy)}` : '';
    ctx.log.debug(`discover-k8s: using the ${connection.source}: ${connection.server}${via}`);
    if (connection.insecure) ctx.log.warn(`discover-k8s: ${connection.source} skips TLS verification (insecure-skip-tls-verify)`);
    const query = {
      namespace: args.namespace,
      ...(args.label_selector ? { labelSelector: args.label_selector } : {}),
      ...(args.field_selector ? { fieldSelector: args.field_selector } : {}),
    };
    const chunks = await listPods(ctx, connection, query, (pods) => ({ count: pods.length, ...podTargets(pods, args.host_network) }));
    const targets = chunks.flatMap((chunk) => chunk.targets);
    const skipped = chunks.flatMap((chunk) => chunk.skipped);
    const pods = chunks.reduce((sum, chunk) => sum + chunk.count, 0);
    for (const skip of skipped) ctx.log.debug(`discover-k8s: skipped pod ${skip.pod}: ${skip.reason}`);
    ctx.log.debug(`discover-k8s: ${targets.length} pod(s) of ${pods} in ${args.namespace}${skipped.length ? `, ${skipped.length} skipped` : ''}`);
    return targets;
  },
});

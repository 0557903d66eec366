/**
 * `provider=vsphere`: the VMs carrying a vSphere tag (by category and tag name), with every guest
 * address VMware Tools reports, through the vSphere Automation REST API (`/api`, 7.0U2+).
 */
import { defineProvider, TimeoutError } from '../../src/kit/index.js';

export default defineProvider({
  name: 'vsphere',
  summary: 'vSphere VMs by tag (category and tag name): every guest address from VMware Tools.',
  args: {
    tag_name: { type: 'string', required: true, help: 'The name of the tag to look up.' },
    category_name: { type: 'string', required: true, help: 'The category of the tag to look up.' },
    host: {
      type: 'string',
      required: true,
      env: ['VSPHERE_SERVER'],
      help: 'The host of the vSphere server to connect to (vCenter; `host` or `host:port`, always https).',
    },
    user: { type: 'string', required: true, env: ['VSPHERE_USER'], help: 'The username to connect as.' },
    password: { type: 'string', required: true, secret: true, env: ['VSPHERE_PASSWORD'], help: 'The password of the user to connect to vSphere as.' },
    insecure_ssl: {
      type: 'bool',
      default: false,
      env: ['VSPHERE_ALLOW_UNVERIFIED_SSL'],
      help: 'Whether or not to skip SSL certificate validation (`true` accepts any certificate from vCenter; said in the log).',
    },
    timeout: { type: 'duration', default: '10m', help: "Discovery context timeout (default: 10m); the call's own timeout still applies when shorter." },
  },
  rules: [{ together: ['tag_name', 'category_name'], why: 'a vSphere tag is named within its category' }],
  notes: [
    'Plain REST through the shared HTTP client: VMware publishes no maintained vSphere Automation SDK for JavaScript, ' +
      "and govmomi's SOAP path (`/sdk`, PropertyCollector) is not needed: the REST guest networking call gives the same addresses.",
    'The calls: `POST /api/session` (HTTP Basic) for a session id sent as `vmware-api-session-id`; `GET /api/cis/tagging/category` and each ' +
      'category, to find `category_name` (exactly one); `list-tags-for-category` and each tag, to find `tag_name`; `list-attached-objects-on-tags`, ' +
      'keeping `VirtualMachine` objects; `GET /api/vcenter/vm/{vm}/guest/networking/interfaces` for each VM (16 at a time). Loopback, link-local ' +
      '(unicast or multicast) and multicast addresses are dropped as go-discover does; v4 and v6 are kept.',
    'The session is deleted (`DELETE /api/session`) when the call ends, failed or not, so a retry-join loop leaves no sessions behind on vCenter.',
    'A VM without VMware Tools data (503 `SERVICE_UNAVAILABLE` from the guest call) gives a warning and no addresses, as in go-discover. ' +
      'A refused user or password (401 `UNAUTHENTICATED`) is an authentication error naming the user, never the password, and is not retried.',
    '`insecure_ssl=true` (or `VSPHERE_ALLOW_UNVERIFIED_SSL`) skips certificate checks for vCenter only, and the log says so; otherwise the system CAs (and `NODE_EXTRA_CA_CERTS`) apply.',
    'Needs vCenter 7.0 Update 2 or later (the `/api` paths).',
  ],
  examples: [
    'provider=vsphere category_name=consul-role tag_name=consul-server host=vcenter.example.com user=discover@vsphere.local password=xxx',
    'provider=vsphere category_name=nomad tag_name=server insecure_ssl=true',
  ],
  async discover(args, ctx) {
    const { listTaggedVms } = await import('./client.js');
    if (args.insecure_ssl) ctx.log.warn(`discover-vsphere: insecure_ssl: the certificate of ${args.host} is not verified`);
    // go-discover's own `timeout` bounds the call too; the engine's deadline still wins when sooner.
    const bound = Date.now() + args.timeout;
    const callCtx =
      ctx.deadline !== undefined && ctx.deadline <= bound
        ? ctx
        : { ...ctx, deadline: bound, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(args.timeout)]) };
    const ownTimeout = callCtx !== ctx ? callCtx.signal : undefined;
    const vms = await listTaggedVms(callCtx, {
      host: args.host,
      user: args.user,
      password: args.password,
      categoryName: args.category_name,
      tagName: args.tag_name,
      insecure: args.insecure_ssl,
    }).catch((error: unknown) => {
      // Our own `timeout` passed (not the caller's): say so as a timeout, not as an abort.
      if (ownTimeout?.aborted && !ctx.signal.aborted) throw new TimeoutError('discover-vsphere (the timeout argument)', args.timeout, { cause: error });
      throw error;
    });
    const targets: Array<{ address: string; id: string }> = [];
    for (const vm of vms) {
      if (vm.noTools) {
        ctx.log.warn(`discover-vsphere: VM ${vm.vm} has no VMware Tools data, no addresses from it (${vm.noTools})`);
        continue;
      }
      if (vm.dropped.length) ctx.log.debug(`discover-vsphere: VM ${vm.vm}: dropped ${vm.dropped.join(', ')} (loopback, link-local or multicast)`);
      for (const address of vm.kept) targets.push({ address, id: vm.vm });
    }
    ctx.log.debug(`discover-vsphere: ${targets.length} address(es) from ${vms.length} VM(s)`);
    return targets;
  },
});

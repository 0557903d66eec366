/**
 * `provider=vsphere`: the VMs carrying a vSphere tag (by category and tag name), with every guest
 * address VMware Tools reports: the tags through the vSphere Automation REST API (`/api`, 7.0U2+),
 * the VMs' `guest.net` in bulk through the Web Services API (SOAP `/sdk`), as govmomi does.
 */
import { clampTimerMs, defineProvider, TimeoutError } from '../../src/kit/index.js';

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
    "Both of vCenter's APIs through the shared HTTP client, as go-discover (govmomi) uses both: VMware publishes no maintained vSphere SDK for " +
      'JavaScript. The tags through the Automation REST API: `POST /api/session` (HTTP Basic) for a session id sent as `vmware-api-session-id`; ' +
      '`GET /api/cis/tagging/category` and each category, to find `category_name` (exactly one); `list-tags-for-category` and each tag, to find ' +
      '`tag_name`; `list-attached-objects-on-tags`, keeping `VirtualMachine` objects.',
    "The VMs' guest networking in bulk through the Web Services API (SOAP, `POST /sdk`): `RetrieveServiceContent`, `SessionManager.Login` " +
      '(the `vmware_soap_session` cookie), one `PropertyCollector.RetrievePropertiesEx` for `guest.net` with an ObjectSpec per VM, 1,000 VMs a page ' +
      "(`maxObjects`), and `ContinueRetrievePropertiesEx` until no token: a handful of requests for 10,000 VMs instead of one per VM. Each NIC's " +
      '`ipConfig.ipAddress[].ipAddress` is kept but loopback, link-local (unicast or multicast) and multicast, as go-discover does; v4 and v6.',
    'No per-VM REST fallback: every vCenter serves `/sdk` (vSphere Client, govc and go-discover use it), and a fallback would turn a refused ' +
      '`/sdk` (a proxy rule, a permission) into one request per VM and a second path to trust. A refused `/sdk` is an error naming it.',
    'Both sessions end when the call ends, failed or not (`Logout`, `DELETE /api/session`), so a retry-join loop leaves no sessions behind on vCenter.',
    'A VM without VMware Tools data (its `guest.net` unset or empty) gives a warning and no addresses, as in go-discover. A refused user or password ' +
      '(REST 401 `UNAUTHENTICATED`, SOAP `InvalidLogin`) is an authentication error naming the user, never the password, and is not retried; ' +
      'any other SOAP fault is an error naming its type (`NotAuthenticated`, `ManagedObjectNotFound`...), retried only for `SystemError`.',
    '`insecure_ssl=true` (or `VSPHERE_ALLOW_UNVERIFIED_SSL`) skips certificate checks for vCenter only, and the log says so; otherwise the system CAs (and `NODE_EXTRA_CA_CERTS`) apply.',
    'Needs vCenter 7.0 Update 2 or later (the `/api` paths); the SOAP calls ask for API version 7.0.2.0.',
  ],
  examples: [
    'provider=vsphere category_name=consul-role tag_name=consul-server host=vcenter.example.com user=discover@vsphere.local password=xxx',
    'provider=vsphere category_name=nomad tag_name=server insecure_ssl=true',
  ],
  async discover(args, ctx) {
    const { listTaggedVms } = await import('./client.js');
    if (args.insecure_ssl) ctx.log.warn(`discover-vsphere: insecure_ssl: the certificate of ${args.host} is not verified`);
    // go-discover's own `timeout` bounds the call too; the engine's deadline still wins when sooner.
    // A timer and a controller held here, not AbortSignal.timeout(): Node 20 holds a timeout signal
    // that only AbortSignal.any() refers to weakly, so under garbage collection it could vanish and
    // never fire (seen: a 8 s timeout ending at the engine's 60 s instead).
    const bound = Date.now() + args.timeout;
    const own = ctx.deadline !== undefined && ctx.deadline <= bound ? undefined : new AbortController();
    const timer = own ? setTimeout(() => own.abort(), clampTimerMs(args.timeout)) : undefined;
    const callCtx = own ? { ...ctx, deadline: bound, signal: AbortSignal.any([ctx.signal, own.signal]) } : ctx;
    let vms: Awaited<ReturnType<typeof listTaggedVms>>;
    try {
      vms = await listTaggedVms(callCtx, {
        host: args.host,
        user: args.user,
        password: args.password,
        categoryName: args.category_name,
        tagName: args.tag_name,
        insecure: args.insecure_ssl,
      });
    } catch (error) {
      // Our own `timeout` passed (not the caller's): say so as a timeout, not as an abort.
      if (own?.signal.aborted && !ctx.signal.aborted) throw new TimeoutError('discover-vsphere (the timeout argument)', args.timeout, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
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

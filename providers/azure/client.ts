/**
 * The azure provider's I/O: the official `@azure/arm-network` (and, for Flexible scale sets,
 * `@azure/arm-compute`) clients over ctx.http's agents, every page fetched under the one retry
 * policy. Imported lazily by `index.ts`, so `discover help` loads no Azure SDK.
 */
import type { TokenCredential } from '@azure/core-auth';
import { NetworkManagementClient, getContinuationToken } from '@azure/arm-network';
import { apiCall, MalformedResponseError, type ProviderContext, ProviderError, type Target } from '../../src/kit/index.js';
import { type CredentialArgs, agentFor, makeCredential } from './credential.js';
import { classifyAzureError, toAzureError } from './errors.js';
import { type AzureAddrType, type VmLike, compactNic, compactPublicIp, flexibleScaleSetNics, nicHasTag, nicTargets, publicIpIndex } from './extract.js';

/** Public Azure's Resource Manager. */
export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

/** The arguments `discover()` hands over, validated. */
export interface AzureRunArgs extends CredentialArgs {
  subscription_id: string;
  tag_name?: string | undefined;
  tag_value?: string | undefined;
  resource_group?: string | undefined;
  vm_scale_set?: string | undefined;
  addr_type: AzureAddrType;
  endpoint?: string | undefined;
}

/** Minimal view of a page iterator: the SDKs' `byPage()` result. */
type PageIterator<T> = AsyncIterator<T[]>;

interface ArmSession {
  network: NetworkManagementClient;
  subscriptionId: string;
  credential: TokenCredential;
  endpoint: string;
  ctx: ProviderContext;
}

/** Runs one discovery. @throws ProviderError naming the failed operation; AbortError */
export async function runAzure(args: AzureRunArgs, ctx: ProviderContext): Promise<Target[]> {
  const endpoint = (args.endpoint || DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  let session: ArmSession;
  try {
    const { credential, kind } = makeCredential(args, ctx);
    ctx.log.debug(`discover-azure: using ${kind} credential, Resource Manager at ${endpoint}`);
    const network = new NetworkManagementClient(credential, args.subscription_id, {
      endpoint,
      $host: endpoint,
      // The token audience is the ARM endpoint itself (https://management.azure.com/.default
      // in public Azure, the sovereign cloud's own in the others).
      credentialScopes: `${endpoint}/.default`,
      agent: agentFor(endpoint, ctx),
      retryOptions: { maxRetries: 0 },
      userAgentOptions: { userAgentPrefix: ctx.userAgent },
    });
    session = { network, subscriptionId: args.subscription_id, credential, endpoint, ctx };
  } catch (err) {
    throw toAzureError(err, 'NewClient');
  }

  const wantPublic = args.addr_type.startsWith('public_');
  if (args.tag_name && args.tag_value) {
    const { tag_name: tagName, tag_value: tagValue } = args;
    const [nics, publicIps] = await Promise.all([
      collect(
        session,
        'NetworkInterfaces_ListAll',
        (o) => session.network.networkInterfaces.listAll({ abortSignal: o.abortSignal, onResponse: o.onResponse }).byPage(o.page),
        (nic) => (nicHasTag(nic, tagName, tagValue) ? compactNic(nic) : undefined),
      ),
      wantPublic
        ? collect(
            session,
            'PublicIPAddresses_ListAll',
            (o) => session.network.publicIPAddresses.listAll({ abortSignal: o.abortSignal, onResponse: o.onResponse }).byPage(o.page),
            compactPublicIp,
          )
        : Promise.resolve([]),
    ]);
    return nicTargets(nics, args.addr_type, publicIpIndex(publicIps));
  }
  return scaleSetTargets(session, args.resource_group ?? '', args.vm_scale_set ?? '', args.addr_type);
}

/**
 * A scale set's addresses. Uniform sets list their NICs (and public IPs) under the set, as
 * go-discover does; that list is empty for a Flexible set, whose VMs are ordinary VMs carrying
 * `virtualMachineScaleSet.id`, so an empty answer falls through to the VM list.
 */
async function scaleSetTargets(session: ArmSession, rg: string, vmss: string, addrType: AzureAddrType): Promise<Target[]> {
  const { network } = session;
  const wantPublic = addrType.startsWith('public_');
  const uniform = await collect(
    session,
    'NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces',
    (o) =>
      network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(rg, vmss, { abortSignal: o.abortSignal, onResponse: o.onResponse }).byPage(o.page),
    compactNic,
  );
  if (uniform.length > 0) {
    const publicIps = wantPublic
      ? await collect(
          session,
          'PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses',
          (o) =>
            network.publicIPAddresses
              .listVirtualMachineScaleSetPublicIPAddresses(rg, vmss, { abortSignal: o.abortSignal, onResponse: o.onResponse })
              .byPage(o.page),
          compactPublicIp,
        )
      : [];
    return nicTargets(uniform, addrType, publicIpIndex(publicIps));
  }

  const vms = await flexibleVms(session, rg, vmss);
  if (vms.length === 0) return [];
  const [nics, publicIps] = await Promise.all([
    collect(
      session,
      'NetworkInterfaces_List',
      (o) => network.networkInterfaces.list(rg, { abortSignal: o.abortSignal, onResponse: o.onResponse }).byPage(o.page),
      compactNic,
    ),
    wantPublic
      ? collect(
          session,
          'PublicIPAddresses_List',
          (o) => network.publicIPAddresses.list(rg, { abortSignal: o.abortSignal, onResponse: o.onResponse }).byPage(o.page),
          compactPublicIp,
        )
      : Promise.resolve([]),
  ]);
  const members = flexibleScaleSetNics(vms, nics, rg, vmss);
  return nicTargets(members, addrType, publicIpIndex(publicIps));
}

/** The VMs of a Flexible scale set, through arm-compute (loaded only on this path). */
async function flexibleVms(session: ArmSession, rg: string, vmss: string): Promise<VmLike[]> {
  const { ComputeManagementClient } = await import('@azure/arm-compute');
  const { ctx, endpoint } = session;
  const compute = new ComputeManagementClient(session.credential, session.subscriptionId, {
    endpoint,
    credentials: { scopes: [`${endpoint}/.default`] },
    agent: agentFor(endpoint, ctx),
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: ctx.userAgent },
  });
  const setId = `/subscriptions/${session.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${vmss}`;
  return collect(
    session,
    'VirtualMachines_List',
    (o) =>
      compute.virtualMachines
        .list(rg, { abortSignal: o.abortSignal, onResponse: o.onResponse, filter: `'virtualMachineScaleSet/id' eq '${setId}'` })
        .byPage(o.page),
    (vm): VmLike => ({
      ...(vm.id ? { id: vm.id } : {}),
      ...(vm.virtualMachineScaleSet?.id ? { virtualMachineScaleSet: { id: vm.virtualMachineScaleSet.id } } : {}),
      networkProfile: { networkInterfaces: (vm.networkProfile?.networkInterfaces ?? []).map((ref) => ({ ...(ref.id ? { id: ref.id } : {}) })) },
    }),
  );
}

/** What `onResponse` sees of an answer. */
interface RawAnswer {
  status: number;
  bodyAsText?: string | null;
  parsedBody?: unknown;
  request: { url: string };
}

/**
 * What is wrong with a 200 as an ARM list page (`{"value": [{...}], "nextLink": ...}`), or
 * undefined. The raw text is read: the SDK's deserializer wraps a non-array `value` (`5`, `{}`)
 * into an array, which would read as items that match nothing.
 */
function armListProblem(answer: RawAnswer): string | undefined {
  let body = answer.parsedBody;
  if (typeof answer.bodyAsText === 'string') {
    if (answer.bodyAsText.trim() === '') return 'an empty body';
    try {
      body = JSON.parse(answer.bodyAsText);
    } catch {
      return 'not JSON';
    }
  }
  if (body === undefined || body === null) return 'an empty body';
  if (typeof body === 'string') return 'not JSON';
  const value = (body as { value?: unknown }).value;
  if (!Array.isArray(value)) return 'no "value" array';
  if (value.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))) return 'a "value" item is not an object';
  return undefined;
}

interface PageRequest {
  abortSignal: AbortSignal;
  /** Sees each raw answer, so a 200 that is not an ARM list is caught instead of read as empty. */
  onResponse: (raw: RawAnswer) => void;
  /** Resume at this page (`continuationToken` = the previous page's nextLink); undefined for the first. */
  page: { continuationToken: string } | undefined;
}

/**
 * Every item of a paged ARM list, each passed through `keep` (undefined drops it) as its page
 * arrives, so only what the provider needs outlives the page. Each page is one call under
 * `apiCall`: a failed page is fetched again from its nextLink, never the whole list, and a
 * list that fails for good rejects (never a partial list).
 */
async function collect<T extends object, R>(
  session: ArmSession,
  operation: string,
  open: (request: PageRequest) => PageIterator<T>,
  keep: (item: T) => R | undefined,
): Promise<R[]> {
  const { ctx } = session;
  const items: R[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const pageToken = token;
    const page = await apiCall(ctx, { provider: 'azure', operation, toError: toAzureError, classify: classifyAzureError }, async () => {
      let answer: RawAnswer | undefined;
      const result = await open({
        abortSignal: ctx.signal,
        onResponse: (raw) => {
          answer = raw;
        },
        page: pageToken === undefined ? undefined : { continuationToken: pageToken },
      }).next();
      // An ARM list answer is `{"value": [...], "nextLink": ...}`; an HTML page, an empty body or
      // other JSON would otherwise read as "no items".
      const problem = answer !== undefined && answer.status === 200 ? armListProblem(answer) : undefined;
      if (answer !== undefined && problem !== undefined) {
        const url = new URL(answer.request.url);
        throw new MalformedResponseError(`discover-azure: ${operation}: malformed response: ${problem}, not an ARM list`, `${url.origin}${url.pathname}`);
      }
      return result.done ? undefined : result.value;
    });
    if (page === undefined) break;
    for (const item of page) {
      const kept = keep(item);
      if (kept !== undefined) items.push(kept);
    }
    token = continuationOf(page);
    if (token !== undefined) {
      if (seen.has(token)) {
        throw new ProviderError('azure', 'the service returned the same nextLink twice', { operation });
      }
      seen.add(token);
    }
  } while (token !== undefined);
  return items;
}

/** arm-network keeps a page's nextLink in a side table; arm-compute puts it on the page. */
function continuationOf(page: object): string | undefined {
  return getContinuationToken(page) ?? (page as { continuationToken?: string }).continuationToken ?? undefined;
}

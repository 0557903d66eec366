/**
 * Simulated Azure Resource Manager: the list and get calls the azure provider makes, in ARM's
 * wire format, paged with absolute `nextLink` URLs back to the listener that served the request,
 * behind a bearer token from the simulated Entra ID. Errors carry ARM's real bodies.
 */
import { randomUUID } from 'node:crypto';
import { isVisible, type SimApi, type SimContext, type SimErrorKind, type SimRequest, type SimResponse } from '../../src/kit/index.js';
import { type Placed, type Subscription, armModel } from './sim-model.js';
import { azureCredentials } from './sim-identity.js';
import { type TokenClaims, tokenMismatch, verifyToken } from './sim-token.js';

/** Azure's page size for these lists (a fleet's `page_size['azure-arm']` overrides it). */
export const ARM_PAGE_SIZE = 1000;

type Json = Record<string, unknown>;

function armHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID();
  return {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-cache',
    'x-ms-request-id': id,
    'x-ms-correlation-request-id': id,
    'x-ms-ratelimit-remaining-subscription-reads': '11999',
    ...extra,
  };
}

/** An ARM error response: `{"error":{"code","message"}}`. */
export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: armHeaders(headers), body: JSON.stringify({ error: { code, message } }) };
}

/** ARM's answer to a missing, malformed, foreign or expired bearer token. */
function unauthorized(missing: boolean): SimResponse {
  return missing
    ? armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
        'www-authenticate':
          'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
      })
    : armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
        'www-authenticate': 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token is invalid."',
      });
}

/**
 * ARM accepts a token only for itself (`aud`: this listener's URL, as `https://management.azure.com`
 * is ARM's own), from the subscription's tenant, for an application that holds a role there (the
 * fleet's client id). Texts are ARM's (InvalidAuthenticationTokenAudience, ...Tenant, AuthorizationFailed).
 */
function refuseClaims(req: SimRequest, ctx: SimContext, claims: TokenClaims, path: string): SimResponse | undefined {
  const creds = azureCredentials(ctx.fleet);
  const origin = `${req.url.protocol}//${req.url.host}`;
  const mismatch = tokenMismatch(claims, { audiences: [origin, `${origin}/`], tenant: creds.tenant_id, appIds: [creds.client_id] });
  const challenge = (description: string) => ({
    'www-authenticate': `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${description}"`,
  });
  switch (mismatch) {
    case 'audience':
      return armError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences '${origin}/','${origin}'.`,
        challenge('The access token has been obtained for wrong audience or resource.'),
      );
    case 'tenant':
      return armError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer 'https://sts.windows.net/${claims.tid}/'. It must match the tenant 'https://sts.windows.net/${creds.tenant_id}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${creds.tenant_id}' to get the token.`,
        challenge('The access token is from the wrong issuer.'),
      );
    case 'app':
      return armError(
        403,
        'AuthorizationFailed',
        `The client '${claims.appid}' with object id '${claims.appid}' does not have authorization to perform action 'read' over scope '${path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    default:
      return undefined;
  }
}

/** The fault bodies ARM really sends. */
export function armErrorResponse(kind: SimErrorKind): SimResponse {
  switch (kind) {
    case 'throttle':
      return armError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits',
        { 'retry-after': '1' },
      );
    case 'server':
      return armError(500, 'InternalServerError', 'Encountered internal server error. Diagnostic information: timestamp, subscription id, tracking id.');
    case 'unavailable':
      return armError(503, 'ServiceUnavailable', 'The service is currently unavailable. Please try again later.', { 'retry-after': '1' });
    case 'auth':
      return unauthorized(false);
  }
}

const SUB = '^/subscriptions/([^/]+)';
const RG = '/resourceGroups/([^/]+)';
const VMSS = '/providers/Microsoft\\.Compute/virtualMachineScaleSets/([^/]+)';
const route = (pattern: string) => new RegExp(`${SUB}${pattern}/?$`, 'i');

const ROUTES = {
  nicsAll: route('/providers/Microsoft\\.Network/networkInterfaces'),
  nicsRg: route(`${RG}/providers/Microsoft\\.Network/networkInterfaces`),
  pipsAll: route('/providers/Microsoft\\.Network/publicIPAddresses'),
  pipsRg: route(`${RG}/providers/Microsoft\\.Network/publicIPAddresses`),
  vmssNics: route(`${RG}${VMSS}/networkInterfaces`),
  vmssPips: route(`${RG}${VMSS}/publicIPAddresses`),
  vmssGet: route(`${RG}${VMSS}`),
  vmssList: route(`${RG}/providers/Microsoft\\.Compute/virtualMachineScaleSets`),
  vmsAll: route('/providers/Microsoft\\.Compute/virtualMachines'),
  vmsRg: route(`${RG}/providers/Microsoft\\.Compute/virtualMachines`),
};

/** One page of `items` starting at the request's `$skiptoken`, with a `nextLink` to the next. */
function page(req: SimRequest, ctx: SimContext, items: ReadonlyArray<Placed | Json>): SimResponse {
  const size = Math.max(1, ctx.fleet.page_size?.['azure-arm'] ?? ARM_PAGE_SIZE);
  const token = req.url.searchParams.get('$skiptoken');
  let offset = 0;
  if (token !== null) {
    offset = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(offset) || offset < 0) return armError(400, 'InvalidSkipToken', 'The skip token is invalid.');
  }
  const body: Json = {
    value: items.slice(offset, offset + size).map((item) => (typeof item.render === 'function' ? (item as Placed).render() : item)),
  };
  if (offset + size < items.length) {
    const next = new URL(req.url.href);
    next.searchParams.set('$skiptoken', Buffer.from(String(offset + size)).toString('base64url'));
    body.nextLink = next.href;
  }
  return { status: 200, headers: armHeaders(), body: JSON.stringify(body) };
}

function visible<P extends Placed>(placed: P[], ctx: SimContext, keep: (p: P) => boolean = () => true): P[] {
  return placed.filter((p) => isVisible({ appear_after_ms: p.appearAfterMs }, ctx) && keep(p));
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function rgMissing(sub: Subscription, rg: string): SimResponse | undefined {
  return sub.resourceGroups.has(rg.toLowerCase()) ? undefined : armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
}

/** `'virtualMachineScaleSet/id' eq '<id>'`, the one `$filter` the VM list accepts. */
function scaleSetFilter(filter: string | null): string | undefined | Error {
  if (filter === null) return undefined;
  const m = /^\s*'?virtualMachineScaleSet\/id'?\s+eq\s+'([^']+)'\s*$/i.exec(filter);
  return m ? m[1]! : new Error(filter);
}

function serve(req: SimRequest, ctx: SimContext): SimResponse {
  const path = decodeURIComponent(req.url.pathname);
  if (req.method !== 'GET') return armError(405, 'MethodNotAllowed', `The requested resource does not support http method '${req.method}'.`);
  if (!req.url.searchParams.get('api-version')) {
    return armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
  }
  const auth = req.headers.authorization;
  if (!auth) return unauthorized(true);
  const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
  const claims = bearer ? verifyToken(bearer[1]!) : undefined;
  if (!claims) return unauthorized(false);

  const subId = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] ?? '';
  const refused = refuseClaims(req, ctx, claims, path);
  if (refused) return refused;
  const sub = armModel(ctx.fleet).subscriptions.get(subId.toLowerCase());
  if (!sub) return armError(404, 'SubscriptionNotFound', `The subscription '${subId}' could not be found.`);

  let m: RegExpExecArray | null;
  if (ROUTES.nicsAll.test(path)) return page(req, ctx, visible(sub.nics, ctx));
  if (ROUTES.pipsAll.test(path)) return page(req, ctx, visible(sub.publicIps, ctx));
  if (ROUTES.vmsAll.test(path)) return page(req, ctx, visible(sub.vms, ctx));
  if ((m = ROUTES.nicsRg.exec(path))) {
    const rg = m[2]!;
    return (
      rgMissing(sub, rg) ??
      page(
        req,
        ctx,
        visible(sub.nics, ctx, (p) => sameName(p.rg, rg)),
      )
    );
  }
  if ((m = ROUTES.pipsRg.exec(path))) {
    const rg = m[2]!;
    return (
      rgMissing(sub, rg) ??
      page(
        req,
        ctx,
        visible(sub.publicIps, ctx, (p) => sameName(p.rg, rg)),
      )
    );
  }
  if ((m = ROUTES.vmsRg.exec(path))) {
    const rg = m[2]!;
    const missing = rgMissing(sub, rg);
    if (missing) return missing;
    const filter = scaleSetFilter(req.url.searchParams.get('$filter'));
    if (filter instanceof Error) return armError(400, 'InvalidParameter', `The value of parameter '$filter' is invalid: ${filter.message}`);
    return page(
      req,
      ctx,
      visible(sub.vms, ctx, (p) => {
        if (!sameName(p.rg, rg)) return false;
        if (filter === undefined) return true;
        return p.scaleSetId !== undefined && sameName(p.scaleSetId, filter);
      }),
    );
  }
  if ((m = ROUTES.vmssList.exec(path))) {
    const rg = m[2]!;
    const sets = [...sub.scaleSets.values()].filter((s) => sameName(s.rg, rg)).map((s) => s.resource);
    return rgMissing(sub, rg) ?? page(req, ctx, sets);
  }
  const vmssRoute = ROUTES.vmssNics.exec(path) ?? ROUTES.vmssPips.exec(path) ?? ROUTES.vmssGet.exec(path);
  if (vmssRoute) {
    const [, , rg, name] = vmssRoute as unknown as [string, string, string, string];
    const missing = rgMissing(sub, rg);
    if (missing) return missing;
    const set = sub.scaleSets.get(`${rg}/${name}`.toLowerCase());
    if (ROUTES.vmssGet.test(path)) {
      return set
        ? { status: 200, headers: armHeaders(), body: JSON.stringify(set.resource) }
        : armError(
            404,
            'ResourceNotFound',
            `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
          );
    }
    if (!set) {
      return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${name}' not found.`);
    }
    // A Flexible set's VMs are ordinary VMs: this Uniform-only list is empty for it (go-discover#268).
    const placed = ROUTES.vmssNics.test(path) ? set.nics : set.publicIps;
    return page(req, ctx, visible(placed, ctx));
  }
  return armError(
    404,
    'InvalidResourceType',
    `The resource type could not be found in the namespace for api version '${req.url.searchParams.get('api-version')}'.`,
  );
}

/** The `azure-arm` API of the simulator. */
export const armApi: SimApi = {
  name: 'azure-arm',
  summary: 'Resource Manager (VMs, NICs, scale sets)',
  match: (req) => /^\/subscriptions\//i.test(req.url.pathname),
  handle: serve,
  errorResponse: (kind) => armErrorResponse(kind),
};

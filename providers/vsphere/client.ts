/**
 * The lookup: the vSphere Automation REST tagging calls (`/api`, vSphere 7.0U2+) with a session
 * from `POST /api/session` (HTTP Basic) for the tagged VMs (category -> tag -> attached objects),
 * then their `guest.net` in bulk through the SOAP PropertyCollector (guest-net.ts), as govmomi does
 * for go-discover. `DELETE /api/session` at the end, failure or not, so a retry-join loop leaks no
 * vCenter sessions. Each call is retried on its own under the shared policy.
 */
import {
  apiCall,
  classifyProviderError,
  MalformedResponseError,
  ProviderError,
  type RequestTlsOptions,
  type ProviderContext,
  parseRetryAfter,
  printableLine,
} from '../../src/kit/index.js';
import {
  attachedVms,
  type CategoryModel,
  malformedVsphere,
  pickCategory,
  pickTag,
  type TagModel,
  type TagToObjects,
  type VmAddresses,
  vmAddresses,
} from './extract.js';
import { authenticationFailed, endSession, toVsphereError } from './errors.js';
import { readGuestNet } from './guest-net.js';

export interface VsphereQuery {
  host: string;
  user: string;
  password: string;
  categoryName: string;
  tagName: string;
  insecure: boolean;
}

interface ApiErrorBody {
  error_type?: unknown;
  messages?: Array<{ default_message?: unknown; id?: unknown }>;
}

/** A ProviderError from vSphere's `{error_type, messages}` body. */
export function vsphereError(operation: string, status: number, text: string, headers: Record<string, string | string[] | undefined>): ProviderError {
  let errorType: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as ApiErrorBody;
    if (typeof body.error_type === 'string') errorType = printableLine(body.error_type, 60);
    const first = body.messages?.[0]?.default_message;
    if (typeof first === 'string') message = printableLine(first, 200);
  } catch {
    // A proxy page: the status says enough.
  }
  // vCenter documents no throttling; its reverse proxy answers 429 under load, and RESOURCE_BUSY means try later.
  const throttled = status === 429 || errorType === 'RESOURCE_BUSY';
  return new ProviderError('vsphere', message ?? `HTTP ${status}`, {
    operation,
    status,
    ...(errorType ? { cloudCode: errorType } : {}),
    throttled,
    retryAfterMs: parseRetryAfter(headers['retry-after'], Date.now()),
  });
}

/** The VMs with the tag and their guest addresses. The session is deleted before this returns or throws. */
export async function listTaggedVms(ctx: ProviderContext, query: VsphereQuery): Promise<VmAddresses[]> {
  const base = `https://${query.host}`;
  const tls: RequestTlsOptions | undefined = query.insecure ? { rejectUnauthorized: false } : undefined;

  const send = async (
    operation: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
    okStatus: (status: number) => boolean = (s) => s === 200,
  ): Promise<unknown> => {
    const url = new URL(path, base);
    ctx.log.debug(`discover-vsphere: ${method} ${url.pathname}${url.search}`);
    return apiCall(ctx, { provider: 'vsphere', operation, toError: toVsphereError, classify: classifyProviderError }, async () => {
      const response = await ctx.http.request(url, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: ctx.signal,
        okStatus: () => true,
        ...(tls ? { tls } : {}),
      });
      if (!okStatus(response.status)) throw vsphereError(operation, response.status, response.text(), response.headers);
      return response.body.length === 0 ? undefined : response.json<unknown>();
    });
  };
  const check = <T>(body: unknown, what: Parameters<typeof malformedVsphere>[1], operation: string, path: string): T => {
    const problem = malformedVsphere(body, what);
    if (problem) throw new MalformedResponseError(`discover-vsphere: ${operation}: ${problem}`, `${base}${path}`);
    return body as T;
  };

  const basic = `Basic ${Buffer.from(`${query.user}:${query.password}`).toString('base64')}`;
  let sessionId: string;
  try {
    const created = await send('CreateSession', 'POST', '/api/session', { authorization: basic }, undefined, (s) => s === 201 || s === 200);
    sessionId = check<string>(created, 'session', 'CreateSession', '/api/session');
  } catch (error) {
    if (error instanceof ProviderError && error.status === 401) throw authenticationFailed(query.user, 'CreateSession', error);
    throw error;
  }
  const session = { 'vmware-api-session-id': sessionId };
  try {
    const categoryIds = check<string[]>(
      await send('ListCategories', 'GET', '/api/cis/tagging/category', session),
      'ids',
      'ListCategories',
      '/api/cis/tagging/category',
    );
    const categories: CategoryModel[] = [];
    for (const id of categoryIds) {
      const path = `/api/cis/tagging/category/${encodeURIComponent(id)}`;
      categories.push(check<CategoryModel>(await send('GetCategory', 'GET', path, session), 'object', 'GetCategory', path));
    }
    const category = pickCategory(categories, query.categoryName);
    if (typeof category === 'string') throw new ProviderError('vsphere', category, { operation: 'FindCategory' });

    const tagsPath = '/api/cis/tagging/tag?action=list-tags-for-category';
    const tagIds = check<string[]>(
      await send('ListTagsForCategory', 'POST', tagsPath, session, { category_id: category.id }),
      'ids',
      'ListTagsForCategory',
      tagsPath,
    );
    const tags: TagModel[] = [];
    for (const id of tagIds) {
      const path = `/api/cis/tagging/tag/${encodeURIComponent(id)}`;
      tags.push(check<TagModel>(await send('GetTag', 'GET', path, session), 'object', 'GetTag', path));
    }
    const tag = pickTag(tags, query.tagName, category.id);
    if (typeof tag === 'string') throw new ProviderError('vsphere', tag, { operation: 'FindTag' });

    const objectsPath = '/api/cis/tagging/tag-association?action=list-attached-objects-on-tags';
    const associations = check<TagToObjects[]>(
      await send('ListAttachedObjectsOnTags', 'POST', objectsPath, session, { tag_ids: [tag.id] }),
      'associations',
      'ListAttachedObjectsOnTags',
      objectsPath,
    );
    const vms = attachedVms(associations);
    ctx.log.debug(`discover-vsphere: tag ${JSON.stringify(query.tagName)} (${tag.id}) is on ${vms.length} VM(s)`);

    if (vms.length === 0) return [];

    const result = vmAddresses(vms, await readGuestNet(ctx, { base, user: query.user, password: query.password, tls }, vms));
    if (typeof result === 'string') throw new ProviderError('vsphere', result, { operation: 'RetrievePropertiesEx' });
    return result;
  } finally {
    await endSession(ctx, 'DeleteSession', new URL('/api/session', base), { method: 'DELETE', headers: session, ok: (s) => s === 204 || s === 200 }, tls);
  }
}

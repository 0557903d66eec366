/**
 * The project of the server autojoin runs on, from the OpenStack metadata service, when neither
 * `project_id` nor `project_name` is given: go-discover's fallback (`GET
 * http://169.254.169.254/openstack/latest/meta_data.json`, field `project_id`). The document's
 * format is Nova's (doc/source/user/metadata.rst, "meta_data.json"). Unlike go-discover, the call has
 * the shared client's timeout and retries, its status is checked, and a failure says what to give.
 */
import { getJson, MalformedResponseError, type ProviderContext, ProviderError } from '../../src/kit/index.js';

/** The link-local address every OpenStack metadata service answers on. */
export const DEFAULT_METADATA_URL = 'http://169.254.169.254';

/** What to do when the lookup fails, in the words of the arguments. */
const GIVE = 'give project_id or project_name (OS_PROJECT_ID / OS_PROJECT_NAME), or run on an OpenStack server';

/** `{base}/openstack/latest/meta_data.json`, the base's own path kept. */
export function metadataDocumentUrl(base: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/openstack/latest/meta_data.json`;
  return url;
}

/** The `project_id` of a meta_data.json body, or what is wrong with it. */
export function projectIdOf(body: unknown): { projectId: string } | { problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { problem: 'meta_data.json is not a JSON object' };
  const projectId = (body as { project_id?: unknown }).project_id;
  if (projectId === undefined) return { problem: "couldn't find project_id on metadata" };
  if (typeof projectId !== 'string' || projectId === '') return { problem: `can't convert project_id: ${JSON.stringify(projectId)} is not a non-empty string` };
  return { projectId };
}

export async function metadataProjectId(ctx: ProviderContext, base: string): Promise<string> {
  const operation = 'metadata project_id';
  const url = metadataDocumentUrl(base);
  let body: unknown;
  try {
    body = await getJson(ctx, {
      provider: 'os',
      operation,
      url,
      headers: { 'User-Agent': ctx.userAgent },
      errorFor: (response) => new ProviderError('os', `HTTP ${response.status}`, { operation, status: response.status }),
    });
  } catch (error) {
    if (!(error instanceof ProviderError || error instanceof MalformedResponseError)) throw error;
    const cause = error.message.replace(/^discover-os: (metadata project_id failed: )?/, '');
    throw new ProviderError('os', `no project: ${GIVE}; the metadata service at ${url.host} gave none: ${cause}`, { operation, cause: error });
  }
  const found = projectIdOf(body);
  if ('problem' in found) throw new ProviderError('os', `no project: ${GIVE}; ${found.problem} (${url.host})`, { operation });
  ctx.log.debug(`discover-os: project ${found.projectId} from the metadata service at ${url.host}`);
  return found.projectId;
}

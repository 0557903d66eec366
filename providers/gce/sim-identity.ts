/**
 * The simulator's identity side as SimApis: the metadata server (`Metadata-Flavor: Google`:
 * detection, project id, the default service account's token) and the OAuth2 token endpoint
 * (sim-auth.ts checks the assertions). Neither is faultable: faults target compute calls.
 */
import { createHash } from 'node:crypto';
import { fleetCredentials, type SimApi, type SimRequest, type SimResponse } from '../../src/kit/index.js';
import { DEFAULT_INSTANCE_SCOPES, handleTokenRequest, issueToken, oauthError, simProject } from './sim-auth.js';

function metadataText(body: string, contentType = 'application/text'): SimResponse {
  return { status: 200, headers: { 'metadata-flavor': 'Google', 'content-type': contentType, server: 'Metadata Server for VM' }, body };
}

export const metadataApi: SimApi = {
  name: 'gce-metadata',
  summary: 'GCE metadata server',
  match: (req) => req.url.pathname.startsWith('/computeMetadata/'),
  faultable: () => false,
  handle(req, ctx) {
    if (req.headers['metadata-flavor'] !== 'Google') {
      return {
        status: 403,
        headers: { 'metadata-flavor': 'Google', 'content-type': 'text/html; charset=UTF-8' },
        body: 'Missing required header "Metadata-Flavor": "Google"\n',
      };
    }
    const path = req.url.pathname.replace(/\/+$/, '');
    const project = simProject(ctx);
    switch (path) {
      case '/computeMetadata/v1/instance':
        return metadataText('attributes/\nhostname\nid\nname\nnetwork-interfaces/\nproject/\nservice-accounts/\nzone\n');
      case '/computeMetadata/v1/project/project-id':
        return metadataText(project);
      case '/computeMetadata/v1/instance/zone':
        return metadataText(`projects/${numericProject(project)}/zones/us-central1-a`);
      case '/computeMetadata/v1/instance/service-accounts/default/email':
        return metadataText(
          fleetCredentials<{ client_email?: string }>(ctx, 'gce')?.client_email ?? `${numericProject(project)}-compute@developer.gserviceaccount.com`,
        );
      case '/computeMetadata/v1/instance/service-accounts/default/token':
        // The token carries the scopes asked for (`?scopes=a,b`), else the instance's own.
        return metadataText(JSON.stringify(issueToken(ctx, requestedScopes(req))), 'application/json');
      default:
        return { status: 404, headers: { 'metadata-flavor': 'Google', 'content-type': 'text/html; charset=UTF-8' }, body: 'Not Found\n' };
    }
  },
  errorResponse(kind) {
    const status = kind === 'throttle' ? 429 : kind === 'auth' ? 403 : kind === 'server' ? 500 : 503;
    return { status, headers: { 'metadata-flavor': 'Google', 'content-type': 'text/html; charset=UTF-8' }, body: `${status}\n` };
  },
};

/** The metadata server's `scopes` query parameter: comma-separated (repeated parameters too). */
function requestedScopes(req: SimRequest): readonly string[] {
  const asked = req.url.searchParams
    .getAll('scopes')
    .flatMap((value) => value.split(','))
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
  return asked.length > 0 ? asked : DEFAULT_INSTANCE_SCOPES;
}

function numericProject(project: string): string {
  return (BigInt(`0x${createHash('sha256').update(project).digest('hex').slice(0, 10)}`) % 1_000_000_000_000n).toString();
}

export const tokenApi: SimApi = {
  name: 'gce-oauth',
  summary: 'OAuth2 token endpoint',
  match: (req) => req.url.pathname === '/token',
  faultable: () => false,
  handle(req: SimRequest, ctx) {
    if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'The token endpoint accepts POST only.');
    return handleTokenRequest(ctx, req.body);
  },
  errorResponse(kind) {
    if (kind === 'auth') return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (kind === 'throttle') return oauthError(429, 'rate_limit_exceeded', 'Rate limit exceeded.');
    return oauthError(kind === 'server' ? 500 : 503, 'internal_failure', 'Backend error.');
  },
};

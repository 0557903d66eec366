/**
 * Simulated Microsoft Entra ID and managed-identity endpoint, enough for `@azure/identity`
 * (MSAL underneath) pointed here with `authorityHost` and instance discovery off:
 * - `GET /{tenant}/v2.0/.well-known/openid-configuration` (MSAL's authority metadata),
 * - `POST /{tenant}/oauth2/v2.0/token` (client credentials: a client secret, or a federated
 *   assertion for workload identity),
 * - `GET /msi/token` (App Service managed identity: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).
 * Tokens are signed (sim-token.ts) so the simulated ARM can check them. Refusals carry the
 * real AADSTS error JSON.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fleet, SimApi, SimContext, SimErrorKind, SimRequest, SimResponse } from '../../src/kit/index.js';
import { DEFAULT_SUBSCRIPTION } from './sim-model.js';
import { TOKEN_LIFETIME_S, issueToken } from './sim-token.js';

/** The `IDENTITY_HEADER` value the simulated managed-identity endpoint expects. */
export const SIM_IDENTITY_HEADER = 'autojoin-sim-identity-header';
/** Path of the managed-identity endpoint (`IDENTITY_ENDPOINT` = httpUrl + this). */
export const MSI_PATH = '/msi/token';
/** File (in the sim's state dir) holding the federated token workload identity presents. */
export const FEDERATED_TOKEN_FILE = 'azure-federated-token';

/** The sim's Entra ID credentials: the fleet's, else fixed fake ones. */
export function azureCredentials(fleet: Fleet): { tenant_id: string; client_id: string; client_secret: string; subscription_id: string } {
  return {
    tenant_id: '11111111-1111-1111-1111-111111111111',
    client_id: '22222222-2222-2222-2222-222222222222',
    client_secret: 'sim-client-secret',
    subscription_id: DEFAULT_SUBSCRIPTION,
    ...fleet.credentials.azure,
  };
}

function aadHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache', 'x-ms-request-id': randomUUID(), ...extra };
}

/** An Entra ID OAuth2 error: `{error, error_description: "AADSTSnnn: ...", error_codes, ...}`. */
export function aadError(status: number, error: string, code: number, text: string, headers: Record<string, string> = {}): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: aadHeaders(headers),
    body: JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    }),
  };
}

function invalidSecret(clientId: string): SimResponse {
  return aadError(
    401,
    'invalid_client',
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  );
}

/** Fault bodies as Entra ID sends them. */
export function identityErrorResponse(kind: SimErrorKind, req: SimRequest): SimResponse {
  switch (kind) {
    case 'throttle':
      return aadError(429, 'temporarily_unavailable', 50196, 'The server terminated an operation because it encountered a client request loop.', {
        'retry-after': '1',
      });
    case 'server':
      return aadError(500, 'server_error', 90000, 'The service encountered an internal error.');
    case 'unavailable':
      return aadError(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.', { 'retry-after': '1' });
    case 'auth':
      return invalidSecret(new URLSearchParams(req.body.toString('utf8')).get('client_id') ?? '');
  }
}

function json(value: unknown): SimResponse {
  return { status: 200, headers: aadHeaders(), body: JSON.stringify(value) };
}

function openIdConfiguration(req: SimRequest, tenant: string): SimResponse {
  const base = `${req.url.protocol}//${req.url.host}/${tenant}`;
  return json({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${req.url.protocol}//${req.url.host}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid'],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  });
}

function tenantNotFound(tenant: string): SimResponse {
  return aadError(
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );
}

/** `https://management.azure.com/.default` -> `https://management.azure.com` */
function resourceOf(scope: string): string {
  return scope.split(' ')[0]!.replace(/\/\.default$/, '');
}

async function tokenRequest(req: SimRequest, ctx: SimContext, tenant: string): Promise<SimResponse> {
  const creds = azureCredentials(ctx.fleet);
  const form = new URLSearchParams(req.body.toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials') {
    return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.get('grant_type') ?? ''}'.`);
  }
  const clientId = form.get('client_id') ?? '';
  if (clientId !== creds.client_id) {
    return aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (secret !== creds.client_secret) return invalidSecret(clientId);
  } else if (assertion !== null) {
    const expected = await readFile(join(ctx.stateDir, FEDERATED_TOKEN_FILE), 'utf8').catch(() => undefined);
    if (expected === undefined || assertion !== expected.trim()) {
      return aadError(400, 'invalid_client', 700211, 'No matching federated identity record found for presented assertion issuer.');
    }
  } else {
    return aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const scope = form.get('scope') ?? '';
  // Entra ID: the client-credentials flow takes one `<resource>/.default` scope, nothing else.
  if (!/^\S+\/\.default$/.test(scope)) {
    return aadError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const { token } = issueToken({ aud: resourceOf(scope), tid: tenant, appid: clientId });
  return json({ token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: token });
}

function managedIdentityToken(req: SimRequest, ctx: SimContext): SimResponse {
  if (req.headers['x-identity-header'] !== SIM_IDENTITY_HEADER) {
    return {
      status: 400,
      headers: aadHeaders(),
      body: JSON.stringify({ statusCode: 400, message: 'Unable to load the proper Managed Identity.', correlationId: randomUUID() }),
    };
  }
  const resource = req.url.searchParams.get('resource');
  if (!resource) {
    return {
      status: 400,
      headers: aadHeaders(),
      body: JSON.stringify({ statusCode: 400, message: 'Required query variable resource is missing.', correlationId: randomUUID() }),
    };
  }
  const creds = azureCredentials(ctx.fleet);
  const clientId = req.url.searchParams.get('client_id') ?? creds.client_id;
  const { token, exp } = issueToken({ aud: resource, tid: creds.tenant_id, appid: clientId });
  return json({ access_token: token, expires_on: String(exp), resource, token_type: 'Bearer', client_id: clientId });
}

const OPENID = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i;
const TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/i;

async function serve(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
  const path = req.url.pathname;
  if (path === MSI_PATH) return managedIdentityToken(req, ctx);
  const tenant = (OPENID.exec(path) ?? TOKEN.exec(path))?.[1] ?? '';
  const known = azureCredentials(ctx.fleet).tenant_id;
  if (tenant.toLowerCase() !== known.toLowerCase() && tenant !== 'organizations') return tenantNotFound(tenant);
  if (OPENID.test(path)) return openIdConfiguration(req, tenant);
  if (req.method !== 'POST') return aadError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
  return tokenRequest(req, ctx, tenant);
}

/** The `azure-identity` API of the simulator (faults set apart from ARM's). */
export const identityApi: SimApi = {
  name: 'azure-identity',
  summary: 'Entra ID token, discovery and managed-identity endpoints',
  match: (req) => req.url.pathname === MSI_PATH || OPENID.test(req.url.pathname) || TOKEN.test(req.url.pathname),
  // Faults hit token requests; the authority metadata MSAL reads first stays reachable.
  faultable: (req) => !OPENID.test(req.url.pathname),
  handle: serve,
  errorResponse: (kind, req) => identityErrorResponse(kind, req),
};

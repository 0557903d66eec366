/**
 * Credentials for the gce provider, in go-discover's order: `credentials_file` (or
 * GOOGLE_APPLICATION_CREDENTIALS), the gcloud well-known file, then the metadata server.
 * Every token and metadata call goes through the shared HTTP stack (ctx.http agents), so
 * HTTP(S)_PROXY / NO_PROXY and the loopback guard apply to them as to the compute calls.
 * Imports google-auth-library: load it only from client.ts (lazily). The three clients come from
 * their own files: the package index also loads GoogleAuth, every external-account client and
 * gcp-metadata, which a bundle would then carry and run at start (docs/performance.md).
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuthClient } from 'google-auth-library';
import { JWT } from 'google-auth-library/build/src/auth/jwtclient.js';
import { OAuth2Client } from 'google-auth-library/build/src/auth/oauth2client.js';
import { UserRefreshClient } from 'google-auth-library/build/src/auth/refreshclient.js';
import { apiCall, NetworkError, type ProviderContext, ProviderError, TimeoutError } from '../../src/kit/index.js';
import { classifyGceError, toProviderError } from './errors.js';

/** The OAuth2 scope go-discover asks for. */
export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** google-auth-library's token endpoint is fixed; a key file's own `token_uri` is honoured by rewriting to it. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const DEFAULT_METADATA_HOST = 'metadata.google.internal';
const METADATA_TIMEOUT_MS = 5_000;

/** Where the credentials came from (for the log; never the secret itself). */
export type CredentialSource = 'credentials_file' | 'gcloud' | 'metadata';

export interface GceAuth {
  client: AuthClient;
  source: CredentialSource;
  /** The key file's `project_id`, when a service-account key was used. */
  projectId: string | undefined;
}

interface KeyFile {
  type?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  project_id?: string;
  token_uri?: string;
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  quota_project_id?: string;
}

function fail(operation: string, reason: string): ProviderError {
  return new ProviderError('gce', reason, { operation });
}

/**
 * A metadata lookup that got no answer (off GCE: no metadata host): said as what to give, with
 * the underlying cause after it. Other errors pass unchanged.
 */
export function offGce(err: unknown, advice: string): unknown {
  if (!(err instanceof ProviderError) || !(err.cause instanceof NetworkError || err.cause instanceof TimeoutError)) return err;
  const cause = err.message.replace(/^discover-gce: /, '');
  return new ProviderError('gce', `${advice} (no metadata server answered: not on GCE?): ${cause}`, { operation: err.operation, cause: err });
}

/**
 * Routes every request the auth client makes (token calls and, through `authClient.fetch`, the
 * compute calls google-gax sends) through ctx.http's agents, which gax would otherwise replace
 * with its own proxy-unaware keep-alive agents; sends a key file's `token_uri` the token
 * request; adds our User-Agent; ties GET requests to ctx.signal.
 */
export function wireTransport(client: AuthClient, ctx: ProviderContext, tokenUri?: string): void {
  // gaxios reads HTTP(S)_PROXY from process.env before any interceptor runs, and then imports
  // https-proxy-agent (which the CLI's bundle leaves out): a default agent makes it skip that.
  client.transporter.defaults.agent = ctx.http.httpsAgent;
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      let url = new URL(String(config.url));
      if (tokenUri && url.href === GOOGLE_TOKEN_URL) {
        url = new URL(tokenUri);
        config.url = url;
      }
      config.agent = url.protocol === 'https:' ? ctx.http.httpsAgent : ctx.http.httpAgent;
      // Redirects are never followed (docs/http.md): node-fetch would resend Authorization: Bearer
      // to wherever the Location points. A 3xx comes back as an answer, and fails as one.
      (config as { redirect?: string }).redirect = 'manual';
      const headers = config.headers;
      const ua = headers.get('user-agent');
      // The library resends the same config after a token refresh: add our product token once.
      if (!ua?.includes(ctx.userAgent)) headers.set('user-agent', ua ? `${ua} ${ctx.userAgent}` : ctx.userAgent);
      // gax gives compute requests a signal of its own; the call's signal must end them too.
      // Not token POSTs: node-fetch destroys an aborted request's body stream with no 'error'
      // listener, an uncaught exception. A token call is short; the engine's race ends the wait.
      if ((config.method ?? 'GET').toUpperCase() === 'GET') {
        config.signal = config.signal ? AbortSignal.any([config.signal as AbortSignal, ctx.signal]) : ctx.signal;
      }
      return config;
    },
  });
}

async function readKeyFile(file: string, operation: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new ProviderError('gce', `cannot read credentials file ${file}: ${code}`, { operation, cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    return parsed as KeyFile;
  } catch {
    // Never echo the content: it holds a private key.
    throw fail(operation, `credentials file ${file} is not valid JSON`);
  }
}

/** A google-auth-library client for a key file: service account (JWT) or gcloud user credentials. */
function clientForKeyFile(key: KeyFile, file: string, ctx: ProviderContext, operation: string): AuthClient {
  if (key.type === 'service_account') {
    if (!key.client_email || !key.private_key) {
      throw fail(operation, `credentials file ${file} lacks client_email or private_key`);
    }
    // Explicit scopes force the OAuth2 token flow (no scopes would make the library self-sign a JWT instead).
    const jwt = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [COMPUTE_SCOPE] });
    wireTransport(jwt, ctx, key.token_uri);
    return jwt;
  }
  if (key.type === 'authorized_user') {
    if (!key.client_id || !key.client_secret || !key.refresh_token) {
      throw fail(operation, `credentials file ${file} lacks client_id, client_secret or refresh_token`);
    }
    const user = new UserRefreshClient({ clientId: key.client_id, clientSecret: key.client_secret, refreshToken: key.refresh_token });
    wireTransport(user, ctx, key.token_uri);
    return user;
  }
  throw fail(operation, `credentials file ${file} has type ${JSON.stringify(key.type ?? '')}; supported: service_account, authorized_user`);
}

/** `$CLOUDSDK_CONFIG` or `$HOME/.config/gcloud` (`%APPDATA%/gcloud` on Windows), as gcloud does. */
export function gcloudCredentialsPath(env: Record<string, string | undefined>, platform = process.platform): string | undefined {
  if (env.CLOUDSDK_CONFIG) return path.join(env.CLOUDSDK_CONFIG, 'application_default_credentials.json');
  if (platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'gcloud', 'application_default_credentials.json') : undefined;
  return env.HOME ? path.join(env.HOME, '.config', 'gcloud', 'application_default_credentials.json') : undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** The metadata server's base URL: GCE_METADATA_HOST (host:port) or metadata.google.internal. */
export function metadataBase(env: Record<string, string | undefined>): string {
  const host = env.GCE_METADATA_HOST || env.GCE_METADATA_IP || DEFAULT_METADATA_HOST;
  return `http://${host}`;
}

/** GET on the metadata server with `Metadata-Flavor: Google`, retried through the one policy. */
async function metadataGet(
  ctx: ProviderContext,
  pathAndQuery: string,
  operation: string,
  okStatus: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<string> {
  if (/^none$/i.test(ctx.env.METADATA_SERVER_DETECTION ?? '')) {
    throw fail(operation, 'the metadata server is disabled (METADATA_SERVER_DETECTION=none); give credentials_file and project_name');
  }
  const url = `${metadataBase(ctx.env)}${pathAndQuery}`;
  return apiCall(ctx, { provider: 'gce', operation, toError: toProviderError, classify: classifyGceError }, async () => {
    const response = await ctx.http.request(url, {
      headers: { 'Metadata-Flavor': 'Google', 'User-Agent': ctx.userAgent },
      timeoutMs: METADATA_TIMEOUT_MS,
      okStatus,
      signal: ctx.signal,
    });
    // Anything answering without the header is not a metadata server (a captive portal, a proxy page).
    if (response.headers['metadata-flavor'] !== 'Google') {
      throw fail(operation, `no GCE metadata server at ${new URL(url).host} (the answer lacks Metadata-Flavor: Google)`);
    }
    return response.text();
  });
}

/** The project id the metadata server reports for this VM. */
export async function metadataProjectId(ctx: ProviderContext): Promise<string> {
  const project = (await metadataGet(ctx, '/computeMetadata/v1/project/project-id', 'metadata project-id')).trim();
  if (!project) throw fail('metadata project-id', 'the metadata server returned an empty project id');
  return project;
}

/** An OAuth2 client whose tokens come from the metadata server's default service account. */
async function metadataClient(ctx: ProviderContext): Promise<AuthClient> {
  // Detection first, like the Google libraries: a clear error when this is not a GCE VM.
  // The directory URL with its slash (without it the server redirects); any non-error answer
  // carrying Metadata-Flavor: Google proves a metadata server.
  await metadataGet(ctx, '/computeMetadata/v1/instance/', 'metadata detection', (status) => status >= 200 && status < 400);
  const client = new OAuth2Client();
  client.refreshHandler = async () => {
    const text = await metadataGet(
      ctx,
      `/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(COMPUTE_SCOPE)}`,
      'metadata token',
    );
    let token: { access_token?: unknown; expires_in?: unknown };
    try {
      token = JSON.parse(text) as typeof token;
    } catch {
      throw fail('metadata token', 'malformed token response from the metadata server');
    }
    if (typeof token.access_token !== 'string' || !token.access_token) {
      throw fail('metadata token', 'the metadata server returned no access_token');
    }
    const expiresIn = typeof token.expires_in === 'number' ? token.expires_in : 300;
    return { access_token: token.access_token, expiry_date: Date.now() + expiresIn * 1000 };
  };
  wireTransport(client, ctx);
  return client;
}

/**
 * Picks the credentials: `credentialsFile` (credentials_file, or GOOGLE_APPLICATION_CREDENTIALS
 * through the arg's env fallback), the gcloud well-known file, then the metadata server.
 */
export async function resolveAuth(credentialsFile: string | undefined, ctx: ProviderContext): Promise<GceAuth> {
  if (credentialsFile) {
    const key = await readKeyFile(credentialsFile, 'load credentials');
    return { client: clientForKeyFile(key, credentialsFile, ctx, 'load credentials'), source: 'credentials_file', projectId: key.project_id };
  }
  const gcloud = gcloudCredentialsPath(ctx.env);
  if (gcloud && (await exists(gcloud))) {
    const key = await readKeyFile(gcloud, 'load credentials');
    return { client: clientForKeyFile(key, gcloud, ctx, 'load credentials'), source: 'gcloud', projectId: key.project_id };
  }
  return { client: await metadataClient(ctx), source: 'metadata', projectId: undefined };
}

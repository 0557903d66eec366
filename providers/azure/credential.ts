/**
 * The Entra ID credential for the azure provider. Loads `@azure/identity` (only `client.ts`
 * imports this file, and only `discover()` imports that).
 *
 * Instead of `DefaultAzureCredential` the provider picks ONE credential from what is configured,
 * in DefaultAzureCredential's order but without its developer-tool steps, so no `az`, `pwsh` or
 * `azd` process is ever spawned and a misconfigured secret fails loudly instead of falling
 * through to the next method:
 * 1. `tenant_id` + `client_id` + `secret_access_key` -> client secret (go-discover's choice too);
 * 2. env AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET -> client secret
 *    (or AZURE_CLIENT_CERTIFICATE_PATH [+ AZURE_CLIENT_CERTIFICATE_PASSWORD] -> certificate);
 * 3. env AZURE_FEDERATED_TOKEN_FILE (+ tenant and client id) -> workload identity (AKS);
 * 4. otherwise managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER, MSI_ENDPOINT, Azure Arc,
 *    else the VM's IMDS), with AZURE_CLIENT_ID / `client_id` as the user-assigned identity.
 */
import type http from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity';
import { NetworkError, type ProviderContext, ProviderError } from '../../src/kit/index.js';

/** The provider arguments the credential depends on. */
export interface CredentialArgs {
  tenant_id?: string | undefined;
  client_id?: string | undefined;
  secret_access_key?: string | undefined;
  authority_host?: string | undefined;
}

/** Public Azure's Microsoft Entra authority. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** Which credential {@link makeCredential} chose (for the debug log; never a secret). */
export type CredentialKind = 'client-secret' | 'env-client-secret' | 'env-client-certificate' | 'workload-identity' | 'managed-identity';

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The one credential the configuration selects (see the file comment for the order), wrapped so
 * that a failed token request is followed by a fresh SDK credential: MSAL remembers a 5xx or
 * 429 answer and fails the same request from memory for up to a minute, which would turn
 * autojoin's retries into no-ops.
 */
export function makeCredential(args: CredentialArgs, ctx: ProviderContext): { credential: TokenCredential; kind: CredentialKind } {
  const first = selectCredential(args, ctx);
  const credential = new RenewingCredential(
    first.credential,
    () => selectCredential(args, ctx).credential,
    (err) => explainAuthority(err, args, ctx),
  );
  return { credential, kind: first.kind };
}

/**
 * MSAL reports an authority whose metadata document it could not read as
 * `endpoints_resolution_error` and drops why (a certificate the process does not trust, DNS, a
 * refused connection, a proxy). Reading the same document once through `ctx.http` names it: the
 * error then says what the shared HTTP stack says of any network failure (for a private CA,
 * `trust a private CA with NODE_EXTRA_CA_CERTS`). Any other error, or a document that can be read
 * after all, is left as it was.
 */
async function explainAuthority(err: unknown, args: CredentialArgs, ctx: ProviderContext): Promise<unknown> {
  if (!/endpoints_resolution_error/.test(String((err as Error | undefined)?.message))) return err;
  const tenant = args.tenant_id || ctx.env.AZURE_TENANT_ID || 'organizations';
  const host = authorityHostOf(args, ctx.env);
  const url = new URL(`${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`, host.endsWith('/') ? host : `${host}/`);
  try {
    await ctx.http.request(url, { signal: ctx.signal, okStatus: () => true });
  } catch (probe) {
    if (probe instanceof NetworkError) {
      return new ProviderError('azure', `Entra ID could not be reached (${probe.message})`, { operation: 'GetToken', cause: err });
    }
  }
  return err;
}

/** The Entra authority the credentials ask: `authority_host`, else AZURE_AUTHORITY_HOST, else public Azure's. */
function authorityHostOf(args: CredentialArgs, env: Record<string, string | undefined>): string {
  return args.authority_host || env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY_HOST;
}

/** Delegates to one SDK credential until it fails, then to a new one. */
class RenewingCredential implements TokenCredential {
  #current: TokenCredential;
  readonly #make: () => TokenCredential;
  readonly #explain: (err: unknown) => Promise<unknown>;

  constructor(first: TokenCredential, make: () => TokenCredential, explain: (err: unknown) => Promise<unknown>) {
    this.#current = first;
    this.#make = make;
    this.#explain = explain;
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const credential = this.#current;
    try {
      return await credential.getToken(scopes, options);
    } catch (err) {
      if (this.#current === credential) this.#current = this.#make();
      throw await this.#explain(err);
    }
  }
}

function selectCredential(args: CredentialArgs, ctx: ProviderContext): { credential: TokenCredential; kind: CredentialKind } {
  const env = ctx.env;
  // Always explicit: otherwise @azure/identity reads AZURE_AUTHORITY_HOST from process.env, not ctx.env.
  const authorityHost = authorityHostOf(args, env);
  const common = (url: string | undefined) => ({
    // Instance discovery would call login.microsoftonline.com before any sovereign or test authority.
    disableInstanceDiscovery: true,
    authorityHost,
    agent: agentFor(url ?? authorityHost, ctx),
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: ctx.userAgent },
  });

  if (nonEmpty(args.tenant_id) && nonEmpty(args.client_id) && nonEmpty(args.secret_access_key)) {
    return {
      credential: new ClientSecretCredential(args.tenant_id, args.client_id, args.secret_access_key, common(undefined)),
      kind: 'client-secret',
    };
  }
  const tenantId = env.AZURE_TENANT_ID || args.tenant_id || undefined;
  const clientId = env.AZURE_CLIENT_ID || args.client_id || undefined;
  if (tenantId && clientId && nonEmpty(env.AZURE_CLIENT_SECRET)) {
    return { credential: new ClientSecretCredential(tenantId, clientId, env.AZURE_CLIENT_SECRET, common(undefined)), kind: 'env-client-secret' };
  }
  if (tenantId && clientId && nonEmpty(env.AZURE_CLIENT_CERTIFICATE_PATH)) {
    const certificate = {
      certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH,
      ...(env.AZURE_CLIENT_CERTIFICATE_PASSWORD ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD } : {}),
    };
    return {
      credential: new ClientCertificateCredential(tenantId, clientId, certificate, common(undefined)),
      kind: 'env-client-certificate',
    };
  }
  if (tenantId && clientId && nonEmpty(env.AZURE_FEDERATED_TOKEN_FILE)) {
    return {
      credential: new WorkloadIdentityCredential({ ...common(undefined), tenantId, clientId, tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE }),
      kind: 'workload-identity',
    };
  }
  // MSAL reads the managed-identity variables from process.env itself, and keeps the first
  // managed-identity source it builds, HTTP client included, for the life of the process. So its
  // agent is a stable one that hands each request to the agent of the call now running.
  const msiEndpoint = process.env.IDENTITY_ENDPOINT || process.env.MSI_ENDPOINT || 'http://169.254.169.254';
  const { authorityHost: _unused, disableInstanceDiscovery: _off, ...miOptions } = common(msiEndpoint);
  const relay = msiEndpoint.startsWith('http:') ? managedIdentityRelays.http : managedIdentityRelays.https;
  relay.target = agentFor(msiEndpoint, ctx);
  return {
    credential: new ManagedIdentityCredential({ ...miOptions, agent: relay, ...(clientId ? { clientId } : {}) }),
    kind: 'managed-identity',
  };
}

type AddRequest = (req: http.ClientRequest, options: http.RequestOptions) => void;

/** An agent of the right class (Node checks it against the URL scheme) that relays to `target`. */
function relayAgent<A extends http.Agent>(base: A): A & { target: http.Agent } {
  const relay = base as A & { target: http.Agent; addRequest: AddRequest };
  relay.target = base;
  relay.addRequest = (req, options) => (relay.target as unknown as { addRequest: AddRequest }).addRequest(req, options);
  return relay;
}

/** The agents managed identity requests go through, for the process (see above). */
const managedIdentityRelays = {
  http: relayAgent(new HttpAgent()),
  https: relayAgent(new HttpsAgent()),
};

/** ctx.http's agent for `url`'s scheme: one Azure pipeline agent serves a single scheme. */
export function agentFor(url: string, ctx: ProviderContext): http.Agent {
  return url.startsWith('http:') ? ctx.http.httpAgent : ctx.http.httpsAgent;
}

/**
 * The compute clients, built once per endpoint and shared by every discovery call in the
 * process. Each call keeps its own credentials: requests are routed to the calling discovery's
 * auth client through AsyncLocalStorage. Imports the SDK: load it from client.ts only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import type { ZonesClient } from '@google-cloud/compute/build/src/v1/zones_client.js';
import type { AuthClient } from 'google-auth-library';
import { MalformedResponseError } from '../../src/kit/index.js';
import { computeListOf, listShapeProblem } from './shape.js';

/** gax connection options for an endpoint (client.ts `endpointOptions`). */
export interface Connection {
  apiEndpoint: string;
  port: number;
  protocol: 'http' | 'https';
}

/** The auth client of the discovery call a compute request belongs to. */
export const callAuth = new AsyncLocalStorage<AuthClient>();

function currentAuth(): AuthClient {
  const auth = callAuth.getStore();
  if (!auth) throw new Error('discover-gce: a compute request outside a discovery call');
  return auth;
}

/**
 * What google-gax gets as its auth client: it forwards to the calling discovery's own client
 * (found through AsyncLocalStorage). gax binds auth at construction, and building a client costs
 * half a second and ~50 MB of garbage (it hashes the 11.7 MB protobuf JSON), so the compute
 * clients are built once per endpoint and shared by every call, each with its own credentials.
 */
function routingAuth(): AuthClient {
  // gax reads universeDomain, calls fetch (REST stub) and checks for getRequestHeaders; it also
  // writes defaultServicePath/defaultScopes onto the object, which the real clients do not need.
  const route = {
    universeDomain: 'googleapis.com',
    fetch: async (...args: Parameters<AuthClient['fetch']>) => checkedList(await currentAuth().fetch(...args), args[0]),
    getRequestHeaders: (url?: string | URL) => currentAuth().getRequestHeaders(url),
  };
  return route as unknown as AuthClient;
}

/** What gax reads of a fetch response. */
interface FetchedResponse {
  ok: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A compute list answer whose body is not that list (shape.ts) fails here as a
 * MalformedResponseError, before protobuf decoding would read it as an empty list. gax reads the
 * checked bytes. Error answers and other calls pass untouched.
 */
async function checkedList<R>(response: R, input: unknown): Promise<R> {
  const fetched = response as unknown as FetchedResponse;
  if (!fetched.ok) return response;
  // Not `instanceof Request`: that global loads Node's undici (gax passes a string anyway).
  const url = new URL(String(typeof input === 'object' && input !== null && 'url' in input ? input.url : input));
  const list = computeListOf(url.pathname);
  if (!list) return response;
  const bytes = await fetched.arrayBuffer();
  const problem = listShapeProblem(list, Buffer.from(bytes).toString('utf8'));
  if (problem) throw new MalformedResponseError(`malformed response: ${problem}`, `${url.origin}${url.pathname}`);
  Object.defineProperty(response, 'arrayBuffer', { value: async () => bytes });
  return response;
}

export interface SharedClients {
  instances: InstancesClient;
  zones: ZonesClient | undefined;
  connection: Connection & { fallback: 'rest'; authClient: AuthClient };
}

/** Built clients per endpoint, most recent last; a few endpoints at most in practice. */
const shared = new Map<string, SharedClients>();
const MAX_SHARED = 4;

export function sharedClients(options: Connection): SharedClients {
  const key = `${options.protocol}://${options.apiEndpoint}:${options.port}`;
  let entry = shared.get(key);
  if (entry) {
    shared.delete(key);
  } else {
    const connection = { ...options, fallback: 'rest' as const, authClient: routingAuth() };
    entry = { instances: new InstancesClient(connection), zones: undefined, connection };
    // Forgotten, not closed: a call may still be using it (REST clients hold no sockets of their own).
    const oldest = shared.size >= MAX_SHARED ? shared.keys().next().value : undefined;
    if (oldest !== undefined) shared.delete(oldest);
  }
  shared.set(key, entry);
  return entry;
}

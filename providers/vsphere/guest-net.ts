/**
 * The tagged VMs' `guest.net` in bulk through the vSphere Web Services API (SOAP, `POST /sdk`),
 * as govmomi reads it for go-discover: `RetrieveServiceContent`, `SessionManager.Login` (the
 * `vmware_soap_session` cookie), one `PropertyCollector.RetrievePropertiesEx` with an ObjectSpec
 * per VM, `ContinueRetrievePropertiesEx` until no token, and `Logout` at the end, failed or not.
 * Each call is retried on its own under the shared policy; a fault other than vCenter's
 * `SystemError` is final.
 */
import {
  apiCall,
  type Classifier,
  classifyProviderError,
  MalformedResponseError,
  ProviderError,
  type ProviderContext,
  parseRetryAfter,
  printableLine,
  type RequestTlsOptions,
} from '../../src/kit/index.js';
import { authenticationFailed, endSession, toVsphereError } from './errors.js';
import {
  continueRetrieve,
  type ElementFilter,
  GUEST_NET_READ,
  type GuestNetContent,
  login,
  logout,
  parseEnvelope,
  readFault,
  readRetrieveResult,
  readServiceContent,
  retrieveGuestNet,
  retrieveServiceContent,
  SESSION_COOKIE,
  SOAP_ACTION,
} from './soap.js';

/** VMs asked per page (`maxObjects`); vCenter may send fewer, and says so with a token. */
export const MAX_OBJECTS = 1000;

/** vCenter's catch-all internal fault: the one worth asking again (as a REST 500 is). */
const TRANSIENT_FAULTS = new Set(['SystemError']);

const classifySoap: Classifier = (error) =>
  error instanceof ProviderError && error.cloudCode !== undefined && !TRANSIENT_FAULTS.has(error.cloudCode) ? { retry: false } : classifyProviderError(error);

/** The error for a non-200 answer: a SOAP fault (500) names its vim25 type; anything else (a proxy page) its status. */
function soapError(operation: string, status: number, text: string, headers: Record<string, string | string[] | undefined>): ProviderError {
  const parsed = parseEnvelope(text);
  if (typeof parsed !== 'string' && parsed.name === 'Fault') {
    const fault = readFault(parsed.node);
    return new ProviderError('vsphere', printableLine(fault.message, 200), {
      operation,
      status,
      ...(fault.type ? { cloudCode: printableLine(fault.type, 60) } : {}),
    });
  }
  return new ProviderError('vsphere', `HTTP ${status}`, {
    operation,
    status,
    // vCenter's reverse proxy answers 429 under load.
    throttled: status === 429,
    retryAfterMs: parseRetryAfter(headers['retry-after'], Date.now()),
  });
}

/** `name=value` of the session cookie among `Set-Cookie` headers, as a `Cookie` header sends it back. */
export function sessionCookie(setCookie: string | string[] | undefined): string | undefined {
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const pair = line.split(';')[0]?.trim() ?? '';
    if (pair.startsWith(`${SESSION_COOKIE}=`) && pair.length > SESSION_COOKIE.length + 1) return pair;
  }
  return undefined;
}

export interface GuestNetQuery {
  base: string;
  user: string;
  password: string;
  tls: RequestTlsOptions | undefined;
}

/** `guest.net` of every VM, read in pages; the SOAP session is logged out before this returns or throws. */
export async function readGuestNet(ctx: ProviderContext, query: GuestNetQuery, vms: readonly string[]): Promise<GuestNetContent[]> {
  const url = new URL('/sdk', query.base);
  let cookie: string | undefined;

  const call = async (
    operation: string,
    body: string,
    filter?: ElementFilter,
  ): Promise<{ node: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }> => {
    ctx.log.debug(`discover-vsphere: POST /sdk ${operation}`);
    const response = await apiCall(ctx, { provider: 'vsphere', operation, toError: toVsphereError, classify: classifySoap }, async () => {
      const answer = await ctx.http.request(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION, accept: 'text/xml', ...(cookie ? { cookie } : {}) },
        body,
        signal: ctx.signal,
        okStatus: () => true,
        ...(query.tls ? { tls: query.tls } : {}),
      });
      if (answer.status !== 200) throw soapError(operation, answer.status, answer.text(), answer.headers);
      return answer;
    });
    const parsed = parseEnvelope(response.text(), filter);
    const expected = `${operation}Response`;
    const problem = typeof parsed === 'string' ? parsed : parsed.name === expected ? undefined : `the SOAP Body holds ${parsed.name}, not ${expected}`;
    if (problem || typeof parsed === 'string') throw new MalformedResponseError(`discover-vsphere: ${operation}: ${problem}`, url.href);
    return { node: parsed.node, headers: response.headers };
  };
  const malformed = (operation: string, problem: string) => new MalformedResponseError(`discover-vsphere: ${operation}: ${problem}`, url.href);

  const content = readServiceContent((await call('RetrieveServiceContent', retrieveServiceContent())).node);
  if (typeof content === 'string') throw malformed('RetrieveServiceContent', content);
  try {
    const { headers } = await call('Login', login(content.sessionManager, query.user, query.password));
    cookie = sessionCookie(headers['set-cookie']);
    if (!cookie) throw malformed('Login', `the answer set no ${SESSION_COOKIE} cookie`);
  } catch (error) {
    if (error instanceof ProviderError && error.cloudCode === 'InvalidLogin') throw authenticationFailed(query.user, 'Login', error);
    throw error;
  }

  try {
    const objects: GuestNetContent[] = [];
    let operation = 'RetrievePropertiesEx';
    let result = readRetrieveResult((await call(operation, retrieveGuestNet(content.propertyCollector, vms, MAX_OBJECTS), GUEST_NET_READ)).node);
    // A server repeating its token forever would never end the loop: at most one page per VM.
    for (let pages = 1; ; pages++) {
      if (typeof result === 'string') throw malformed(operation, result);
      objects.push(...result.objects);
      if (!result.token) break;
      if (pages > vms.length) throw malformed(operation, `more pages than VMs (${vms.length}): the token never ends`);
      operation = 'ContinueRetrievePropertiesEx';
      result = readRetrieveResult((await call(operation, continueRetrieve(content.propertyCollector, result.token), GUEST_NET_READ)).node);
    }
    ctx.log.debug(`discover-vsphere: guest.net of ${objects.length} VM(s) read`);
    return objects;
  } finally {
    const headers = { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION, cookie: cookie as string };
    await endSession(ctx, 'Logout', url, { method: 'POST', headers, body: logout(content.sessionManager), ok: (status) => status === 200 }, query.tls);
  }
}

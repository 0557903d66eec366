/**
 * vCenter's Web Services API (SOAP, `POST /sdk`) as the simulator serves it: the methods
 * provider=vsphere calls, in vCenter's envelopes (fixtures/README.md). `RetrieveServiceContent`
 * is open; `Login` checks the fleet's user and password (else an `InvalidLogin` fault) and sets
 * the `vmware_soap_session` cookie; every other call needs a live cookie, else a
 * `NotAuthenticated` fault, as vCenter answers an absent or logged-out session.
 * `RetrievePropertiesEx` serves `guest.net` of VirtualMachine objects only, in pages of the
 * request's `maxObjects` (or the fleet's smaller `page_size['vsphere-sdk']`), continued by token.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  fleetCredentials,
  type FleetAddresses,
  type FleetInstance,
  type SimApi,
  type SimContext,
  type SimRequest,
  type SimResponse,
} from '../../src/kit/index.js';
import { closeSoapSession, openSoapSession, type SoapSession, soapSession, vmById, vmId } from './sim-state.js';
import { asList, envelope, isNode, moRef, type Node, parseEnvelope, ref, SESSION_COOKIE, soapEnvelope, textOf, xmlEscape } from './soap.js';

export const SDK_API = 'vsphere-sdk';

/** vCenter's page when the request sets no `maxObjects`. */
const DEFAULT_PAGE = 100;

const XML = { 'content-type': 'text/xml; charset=utf-8' };

function answer(method: string, inner: string, headers: Record<string, string> = {}): SimResponse {
  return { status: 200, headers: { ...XML, ...headers }, body: envelope(`${method}Response`, inner) };
}

/** A vim25 fault: HTTP 500, `ServerFaultCode`, the fault's type in `detail` (the recorded InvalidLogin's form). */
function fault(type: string, message: string, detail = ''): SimResponse {
  return {
    status: 500,
    headers: XML,
    body: soapEnvelope(
      `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${xmlEscape(message)}</faultstring>` +
        `<detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}">${detail}</${type}Fault></detail></soapenv:Fault>`,
    ),
  };
}

const invalidLogin = () => fault('InvalidLogin', 'Cannot complete login due to an incorrect user name or password.');
const notAuthenticated = () =>
  fault(
    'NotAuthenticated',
    'The session is not authenticated.',
    `${ref('object', { type: 'Folder', value: 'group-d1' })}<privilegeId>System.View</privilegeId>`,
  );

/** The method a request calls, read without parsing the whole body (faults are decided before the handler runs). */
function methodOf(req: SimRequest): string | undefined {
  return /<(?:[\w-]+:)?Body\b[^>]*>\s*<(?:[\w-]+:)?([\w]+)/.exec(req.body.toString('utf8', 0, 2048))?.[1];
}

export const ERRORS = {
  // vCenter's reverse proxy answers 429 under load, and 503 when vpxd is down; vpxd's own error is SystemError.
  throttle: (): SimResponse => ({ status: 429, headers: { 'content-type': 'text/plain', 'retry-after': '1' }, body: 'Too Many Requests' }),
  server: () => fault('SystemError', 'A general system error occurred: Internal error', '<reason>Internal error</reason>'),
  unavailable: (): SimResponse => ({
    status: 503,
    headers: { 'content-type': 'text/plain' },
    body: 'upstream connect error or disconnect/reset before headers',
  }),
  auth: (req: SimRequest) => (methodOf(req) === 'Login' ? invalidLogin() : notAuthenticated()),
};

function sessionId(req: SimRequest): string | undefined {
  const header = req.headers.cookie;
  for (const part of (Array.isArray(header) ? header.join(';') : (header ?? '')).split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=').replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

const PROPERTY_COLLECTOR = { type: 'PropertyCollector', value: 'propertyCollector' };
const SESSION_MANAGER = { type: 'SessionManager', value: 'SessionManager' };

/** ServiceContent as vCenter 8.0 answers (the recorded one, cut to the refs and `about`). */
function serviceContent(): SimResponse {
  return answer(
    'RetrieveServiceContent',
    `<returnval>${ref('rootFolder', { type: 'Folder', value: 'group-d1' })}${ref('propertyCollector', PROPERTY_COLLECTOR)}` +
      `${ref('viewManager', { type: 'ViewManager', value: 'ViewManager' })}<about><name>VMware vCenter Server</name>` +
      '<fullName>VMware vCenter Server 8.0.3 build-24022515 (autojoin simulator)</fullName><vendor>VMware, Inc.</vendor><version>8.0.3</version>' +
      '<patchLevel>00000</patchLevel><build>24022515</build><localeVersion>INTL</localeVersion><localeBuild>000</localeBuild><osType>linux-x64</osType>' +
      '<productLineId>vpx</productLineId><apiType>VirtualCenter</apiType><apiVersion>8.0.2.0</apiVersion>' +
      '<instanceUuid>5d6e5ee4-1b2a-4c3f-9e1a-0a7d2c1f4b11</instanceUuid><licenseProductName>VMware VirtualCenter Server</licenseProductName>' +
      `<licenseProductVersion>8.0</licenseProductVersion></about>${ref('setting', { type: 'OptionManager', value: 'VpxSettings' })}` +
      `${ref('userDirectory', { type: 'UserDirectory', value: 'UserDirectory' })}${ref('sessionManager', SESSION_MANAGER)}</returnval>`,
  );
}

function login(node: Node, ctx: SimContext): SimResponse {
  const expected = fleetCredentials<{ user?: string; password?: string }>(ctx, 'vsphere');
  const user = textOf(node.userName);
  if (!expected?.user || !expected.password || user !== expected.user || textOf(node.password) !== expected.password) return invalidLogin();
  const id = openSoapSession(ctx);
  const now = new Date().toISOString();
  return answer(
    'Login',
    `<returnval><key>${randomUUID()}</key><userName>${xmlEscape(user)}</userName><fullName>${xmlEscape(user)}</fullName>` +
      `<loginTime>${now}</loginTime><lastActiveTime>${now}</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale>` +
      '<extensionSession>false</extensionSession><ipAddress>127.0.0.1</ipAddress><callCount>0</callCount></returnval>',
    { 'set-cookie': `${SESSION_COOKIE}="${id}"; Path=/; HttpOnly; Secure;` },
  );
}

/** A guest NIC as Tools report it: its addresses, and the link-local IPv6 every guest NIC has. */
function guestNic(addresses: FleetAddresses, key: string, n: number): string {
  const hex = createHash('sha256').update(`${key}:${n}`).digest('hex');
  const ips: Array<[string, number, string]> = [];
  for (const v4 of [addresses.private_ipv4, addresses.public_ipv4]) if (v4) ips.push([v4, 24, 'preferred']);
  for (const v6 of [addresses.private_ipv6, addresses.public_ipv6]) if (v6) ips.push([v6, 64, 'preferred']);
  ips.push([`fe80::250:56ff:fe${hex.slice(0, 2)}:${hex.slice(2, 6)}`, 64, 'unknown']);
  return (
    `<GuestNicInfo><network>VM Network</network>${ips.map(([ip]) => `<ipAddress>${ip}</ipAddress>`).join('')}` +
    `<macAddress>00:50:56:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}</macAddress><connected>true</connected>` +
    `<deviceConfigId>${4000 + n}</deviceConfigId><ipConfig>` +
    ips
      .map(([ip, prefix, state]) => `<ipAddress><ipAddress>${ip}</ipAddress><prefixLength>${prefix}</prefixLength><state>${state}</state></ipAddress>`)
      .join('') +
    '</ipConfig></GuestNicInfo>'
  );
}

/** One ObjectContent; no `guest.net` propSet when Tools report nothing (an unset property is left out, as vCenter does). */
function objectContent(vm: FleetInstance): string {
  const obj = ref('obj', { type: 'VirtualMachine', value: vmId(vm) });
  if (vm.vmware_tools === false || (vm.state ?? 'running') !== 'running') return `<objects>${obj}</objects>`;
  const nics = [vm, ...(vm.extra_nics ?? [])].map((addresses, n) => guestNic(addresses, vm.id, n)).join('');
  return `<objects>${obj}<propSet><name>guest.net</name><val xsi:type="ArrayOfGuestNicInfo">${nics}</val></propSet></objects>`;
}

/** A page of the result; the rest kept under a token until continued. */
function page(method: string, session: SoapSession, vms: FleetInstance[], pageSize: number): SimResponse {
  const shown = vms.slice(0, pageSize);
  let token = '';
  if (vms.length > pageSize) {
    const id = String(session.nextToken++);
    session.pending.set(id, { rest: vms.slice(pageSize), pageSize });
    token = `<token>${id}</token>`;
  }
  if (shown.length === 0 && !token) return answer(method, '');
  return answer(method, `<returnval>${token}${shown.map(objectContent).join('')}</returnval>`);
}

function retrieve(node: Node, ctx: SimContext, session: SoapSession): SimResponse {
  const collector = moRef(node._this);
  if (collector?.value !== PROPERTY_COLLECTOR.value)
    return fault('ManagedObjectNotFound', 'The object has already been deleted or has not been completely created');
  const vms: FleetInstance[] = [];
  for (const spec of asList(node.specSet)) {
    if (!isNode(spec)) return fault('InvalidArgument', 'A specified parameter was not correct: specSet', '<invalidProperty>specSet</invalidProperty>');
    for (const prop of asList(spec.propSet)) {
      const paths = isNode(prop) ? asList(prop.pathSet).map(textOf) : [];
      if (!isNode(prop) || textOf(prop.type) !== 'VirtualMachine' || paths.some((p) => p !== 'guest.net'))
        return fault(
          'InvalidProperty',
          'A specified parameter was not correct: pathSet',
          `<name>${xmlEscape(paths.find((p) => p !== 'guest.net') ?? 'type')}</name>`,
        );
    }
    for (const objectSpec of asList(spec.objectSet)) {
      const obj = isNode(objectSpec) ? moRef(objectSpec.obj) : undefined;
      const vm = obj?.type === 'VirtualMachine' ? vmById(ctx, obj.value) : undefined;
      if (!vm) {
        const name = obj ? `vim.${obj.type}:${obj.value}` : 'unknown';
        return fault('ManagedObjectNotFound', `The object '${name}' has already been deleted or has not been completely created`, obj ? ref('obj', obj) : '');
      }
      vms.push(vm);
    }
  }
  const options = isNode(node.options) ? node.options : {};
  const asked = Number.parseInt(textOf(options.maxObjects), 10);
  const pageSize = Math.min(asked > 0 ? asked : DEFAULT_PAGE, ctx.fleet.page_size?.[SDK_API] ?? Number.POSITIVE_INFINITY);
  return page('RetrievePropertiesEx', session, vms, pageSize);
}

function continueRetrieve(node: Node, session: SoapSession): SimResponse {
  const token = textOf(node.token);
  const pending = session.pending.get(token);
  if (!pending) return fault('InvalidProperty', 'A specified parameter was not correct: token', '<name>token</name>');
  session.pending.delete(token);
  return page('ContinueRetrievePropertiesEx', session, pending.rest, pending.pageSize);
}

function handle(req: SimRequest, ctx: SimContext): SimResponse {
  if (req.method !== 'POST') return { status: 405, headers: { 'content-type': 'text/plain' }, body: `method ${req.method} not allowed` };
  const parsed = parseEnvelope(req.body.toString('utf8'));
  if (typeof parsed === 'string') return fault('InvalidRequest', `Unable to parse the request: ${parsed}`);
  const { name, node } = parsed;
  if (name === 'RetrieveServiceContent') return serviceContent();
  if (name === 'Login') return login(node, ctx);
  const id = sessionId(req);
  const session = soapSession(ctx, id);
  if (!session) return notAuthenticated();
  switch (name) {
    case 'Logout':
      closeSoapSession(ctx, id as string);
      return answer('Logout', '');
    case 'RetrievePropertiesEx':
      return retrieve(node, ctx, session);
    case 'ContinueRetrievePropertiesEx':
      return continueRetrieve(node, session);
    default:
      return fault(
        'MethodNotFound',
        `Unable to resolve WSDL method name ${name}`,
        `<receiver type="ServiceInstance">ServiceInstance</receiver><method>${xmlEscape(name)}</method>`,
      );
  }
}

export const sdkApi: SimApi = {
  name: SDK_API,
  summary: 'vSphere Web Services (SOAP `/sdk`): RetrieveServiceContent, Login/Logout, PropertyCollector RetrievePropertiesEx (`guest.net`), paged',
  match: (req) => req.url.pathname === '/sdk',
  // RetrieveServiceContent needs no session, and Logout always goes through (a fault there would leave
  // a session no test could end): faults apply from Login on, so `auth_reject` is a refused Login.
  faultable: (req) => {
    const method = methodOf(req);
    return method !== 'RetrieveServiceContent' && method !== 'Logout';
  },
  handle,
  errorResponse: (kind, req) => ERRORS[kind](req),
};

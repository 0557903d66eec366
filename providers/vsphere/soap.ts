/**
 * The vSphere Web Services API (SOAP, `POST https://<host>/sdk`) as provider=vsphere speaks it:
 * the request envelopes of the five methods it calls and a reader for their answers. Pure: no I/O.
 * Envelopes as vCenter sends and takes them (providers/vsphere/fixtures/README.md says where
 * each sample comes from); the types are the vSphere API reference's (vim25 WSDL): ServiceContent,
 * UserSession, RetrieveResult, ObjectContent, GuestNicInfo, NetIpConfigInfoIpAddress.
 */
import { SaxesParser } from 'saxes';

/**
 * The API version asked for: vSphere 7.0 Update 2, the oldest vCenter with the `/api` tagging
 * paths; a newer vCenter serves an older version's wire format, an older one refuses a newer.
 */
export const SOAP_ACTION = 'urn:vim25/7.0.2.0';

/** The session cookie vCenter sets on `Login` (govmomi's `soap.SessionCookieName`). */
export const SESSION_COOKIE = 'vmware_soap_session';

/** A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`. */
export interface MoRef {
  type: string;
  value: string;
}

/**
 * `GuestNicInfo`, what is kept of it: the addresses VMware Tools reports for one guest NIC under
 * `ipConfig` (as go-discover reads them), without their prefixes or states; the NIC's flat
 * `ipAddress` list is not read.
 */
export interface GuestNicInfo {
  ipConfig?: { ipAddress?: Array<{ ipAddress?: string }> };
}

/** One VM of a `RetrieveResult`: its `guest.net`, unset when Tools report nothing. */
export interface GuestNetContent {
  vm: string;
  /** Undefined when the answer has no `guest.net` (no VMware Tools data). */
  nics?: GuestNicInfo[];
  /** A `missingSet` entry: the property could not be read (fault type, e.g. `NoPermission`). */
  missing?: string;
}

/** A SOAP fault: `faultstring`, and the vim25 fault type from `detail` (`InvalidLogin`, `NotAuthenticated`...). */
export interface SoapFault {
  type: string | undefined;
  message: string;
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>';
const ENVELOPE_CLOSE = '</soapenv:Body>\n</soapenv:Envelope>';

/** Text and attribute values escaped for XML (a password may hold `<` or `&`). */
export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** A SOAP envelope around `body` (the Body's content). */
export function soapEnvelope(body: string): string {
  return `${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`;
}

/** A SOAP envelope around one vim25 method call (or its `...Response`). */
export function envelope(method: string, inner: string): string {
  return soapEnvelope(`<${method} xmlns="urn:vim25">${inner}</${method}>`);
}

/** `<name type="Type">value</name>`. */
export const ref = (name: string, mo: MoRef) => `<${name} type="${xmlEscape(mo.type)}">${xmlEscape(mo.value)}</${name}>`;

/** The fixed root every vim25 client starts from. */
export const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

export const retrieveServiceContent = () => envelope('RetrieveServiceContent', ref('_this', SERVICE_INSTANCE));

export const login = (sessionManager: MoRef, user: string, password: string) =>
  envelope('Login', `${ref('_this', sessionManager)}<userName>${xmlEscape(user)}</userName><password>${xmlEscape(password)}</password>`);

export const logout = (sessionManager: MoRef) => envelope('Logout', ref('_this', sessionManager));

/** One PropertyFilterSpec: `guest.net` of each VM, one ObjectSpec per VM (as govmomi's `property.Collector.Retrieve`). */
export function retrieveGuestNet(propertyCollector: MoRef, vms: readonly string[], maxObjects: number): string {
  const objects = vms.map((vm) => `<objectSet>${ref('obj', { type: 'VirtualMachine', value: vm })}<skip>false</skip></objectSet>`).join('');
  return envelope(
    'RetrievePropertiesEx',
    `${ref('_this', propertyCollector)}<specSet><propSet><type>VirtualMachine</type><pathSet>guest.net</pathSet></propSet>${objects}</specSet>` +
      `<options><maxObjects>${maxObjects}</maxObjects></options>`,
  );
}

export const continueRetrieve = (propertyCollector: MoRef, token: string) =>
  envelope('ContinueRetrievePropertiesEx', `${ref('_this', propertyCollector)}<token>${xmlEscape(token)}</token>`);

// ---------------------------------------------------------------- reading answers

/**
 * Elements that are lists in the vim25 schema: always arrays, so one element reads like many.
 * `ipAddress` is not among them (a list of strings in GuestNicInfo, of NetIpConfigInfoIpAddress in
 * `ipConfig`, whose own `ipAddress` is one string): {@link readRetrieveResult} makes the list it reads.
 */
const LISTS = new Set(['objects', 'propSet', 'missingSet', 'GuestNicInfo', 'specSet', 'objectSet', 'pathSet']);

export type Node = Record<string, unknown>;
export const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);

const local = (name: string) => name.slice(name.indexOf(':') + 1);

interface Open {
  node: Node;
  name: string;
  text: string;
  bare: boolean;
}

/**
 * What a reader uses of an answer: parent element -> the only children built under it (local
 * names). Any other child is parsed (still checked for well-formedness) but not built, and its
 * parent counts as an element, not as text.
 */
export type ElementFilter = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * What {@link readRetrieveResult} reads of a `guest.net`: each NIC's `ipConfig` addresses. Real
 * NICs also carry the network, MAC, DNS, DHCP, NetBIOS and routing settings, prefixes, states
 * and lifetimes: a page's largest part, left unbuilt.
 */
export const GUEST_NET_READ: ElementFilter = new Map([
  ['GuestNicInfo', new Set(['ipConfig'])],
  ['ipConfig', new Set(['ipAddress'])],
  ['ipAddress', new Set(['ipAddress'])],
]);

/**
 * An XML document as a tree, with saxes (a strict XML 1.0 parser: a 1,000-VM page of 30,000
 * elements in about 20 ms, where sax took 2.5 times longer and a DOM-style parser ten times):
 * namespace prefixes dropped, attributes as `@_name` (xmlns left out), an element with neither
 * attributes nor children as its trimmed text, else an object with `#text` when it has text;
 * children by name, a repeated one or one of {@link LISTS} as an array. Throws on anything that is
 * not well-formed XML. With `filter`, children it leaves out are not built.
 */
export function parseXml(text: string, filter?: ElementFilter): Node {
  const root: Node = {};
  const stack: Open[] = [{ node: root, name: '', text: '', bare: false }];
  let top = stack[0] as Open;
  // Depth inside an element the filter leaves out (0: building).
  let skipping = 0;
  // Positions only name where an error is, and this reader's errors are cut to their first line.
  const parser = new SaxesParser({ position: false });
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('opentag', (tag) => {
    if (skipping > 0) {
      skipping++;
      return;
    }
    const name = local(tag.name);
    const kept = filter?.get(top.name);
    if (kept && !kept.has(name)) {
      skipping = 1;
      top.bare = false;
      return;
    }
    const node: Node = {};
    let bare = true;
    const attributes = tag.attributes as Record<string, string>;
    for (const attribute in attributes) {
      if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) continue;
      node[`@_${local(attribute)}`] = attributes[attribute];
      bare = false;
    }
    top = { node, name, text: '', bare };
    stack.push(top);
  });
  const onText = (chunk: string) => {
    if (skipping === 0) top.text += chunk;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (skipping > 0) {
      skipping--;
      return;
    }
    const done = stack.pop() as Open;
    top = stack[stack.length - 1] as Open;
    const parent = top.node;
    const text = done.text.trim();
    const value: unknown = done.bare && Object.keys(done.node).length === 0 ? text : done.node;
    if (value === done.node && text !== '') done.node['#text'] = text;
    // Own properties only: an element named `__proto__` or `constructor` is data like any other.
    const existing = Object.hasOwn(parent, done.name) ? parent[done.name] : undefined;
    const set = (child: unknown) => {
      if (done.name === '__proto__') Object.defineProperty(parent, done.name, { value: child, enumerable: true, writable: true, configurable: true });
      else parent[done.name] = child;
    };
    if (LISTS.has(done.name)) {
      if (Array.isArray(existing)) existing.push(value);
      else set([value]);
    } else if (existing === undefined) set(value);
    else if (Array.isArray(existing)) existing.push(value);
    else set([existing, value]);
  });
  parser.write(text).close();
  return root;
}

/** Why the text is not a SOAP envelope, or its Body's one child: `{ name, node }` (the method's response or `Fault`). */
export function parseEnvelope(text: string, filter?: ElementFilter): { name: string; node: Node } | string {
  let parsed: unknown;
  try {
    parsed = parseXml(text, filter);
  } catch (error) {
    return `the answer is not XML (${error instanceof Error ? error.message.split('\n')[0] : 'unreadable'})`;
  }
  const body = isNode(parsed) && isNode(parsed.Envelope) ? parsed.Envelope.Body : undefined;
  if (!isNode(body)) return 'the answer is not a SOAP envelope with a Body';
  const name = Object.keys(body).find((key) => !key.startsWith('@_'));
  if (name === undefined) return 'the SOAP Body is empty';
  const node = body[name];
  // An empty response element (`<LogoutResponse xmlns="urn:vim25"></LogoutResponse>`) parses as '' or attributes only.
  return { name, node: isNode(node) ? node : {} };
}

/** The fault a `Fault` element holds: its `faultstring` and the `xsi:type` of its `detail`. */
export function readFault(node: Node): SoapFault {
  const detail = isNode(node.detail) ? node.detail : {};
  const first = Object.entries(detail).find(([key]) => !key.startsWith('@_'));
  let type: string | undefined;
  if (first) {
    const [name, value] = first;
    const declared = isNode(value) ? value['@_type'] : undefined;
    type = typeof declared === 'string' ? declared : name.replace(/Fault$/, '');
  }
  return { type, message: typeof node.faultstring === 'string' ? node.faultstring : textOf(node.faultstring) || 'SOAP fault' };
}

/** A repeated element as a list: one occurrence parses as the element itself. */
export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** An element's text, attributes or not; '' when it has none. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isNode(value) && typeof value['#text'] === 'string') return value['#text'];
  return '';
}

/** The MoRef an element like `<obj type="VirtualMachine">vm-42</obj>` holds, or undefined. */
export function moRef(value: unknown): MoRef | undefined {
  if (!isNode(value)) return undefined;
  const type = value['@_type'];
  const text = value['#text'];
  return typeof type === 'string' && typeof text === 'string' && text !== '' ? { type, value: text } : undefined;
}

/** The refs a RetrieveServiceContentResponse names, or why not. */
export function readServiceContent(node: Node): { sessionManager: MoRef; propertyCollector: MoRef } | string {
  const content = isNode(node.returnval) ? node.returnval : {};
  const sessionManager = moRef(content.sessionManager);
  const propertyCollector = moRef(content.propertyCollector);
  if (!sessionManager || !propertyCollector) return 'the ServiceContent names no sessionManager or propertyCollector (not a vCenter?)';
  return { sessionManager, propertyCollector };
}

/** A RetrieveResult (`returnval` of RetrievePropertiesEx or its continuation): the VMs' `guest.net` and the next token, or why not. */
export function readRetrieveResult(node: Node): { token: string | undefined; objects: GuestNetContent[] } | string {
  // No returnval: nothing matched (vCenter sends an empty response element).
  if (node.returnval === undefined || node.returnval === '') return { token: undefined, objects: [] };
  if (!isNode(node.returnval)) return 'the RetrieveResult is not an element';
  const result = node.returnval;
  const token = textOf(result.token) || undefined;
  const objects: GuestNetContent[] = [];
  for (const content of (result.objects as unknown[] | undefined) ?? []) {
    if (!isNode(content)) return 'an ObjectContent is not an element';
    const obj = moRef(content.obj);
    if (!obj) return 'an ObjectContent names no object';
    const entry: GuestNetContent = { vm: obj.value };
    for (const prop of (content.propSet as unknown[] | undefined) ?? []) {
      if (!isNode(prop) || prop.name !== 'guest.net') continue;
      const val = isNode(prop.val) ? prop.val : {};
      const nics = (val.GuestNicInfo as unknown[] | undefined) ?? [];
      if (!nics.every(isNode)) return `the guest.net of ${obj.value} is not a list of GuestNicInfo`;
      // Only the addresses are kept: the rest of a page's tree (MACs, networks, prefixes, states)
      // is garbage once the page is read, instead of 10,000 VMs' worth held until the last page.
      entry.nics = nics.map((nic) => {
        const read: GuestNicInfo = {};
        if (isNode(nic.ipConfig)) {
          read.ipConfig = {
            ipAddress: asList(nic.ipConfig.ipAddress).map((entry) => {
              if (!isNode(entry)) return {};
              // An address element may carry attributes (`<ipAddress xsi:type="xsd:string">`: SOAP
              // allows an xsi:type on any element): its text is the address either way.
              const address = isNode(entry.ipAddress) ? textOf(entry.ipAddress) : entry.ipAddress;
              return typeof address === 'string' ? { ipAddress: address } : {};
            }),
          };
        }
        return read;
      });
    }
    for (const missing of (content.missingSet as unknown[] | undefined) ?? []) {
      if (!isNode(missing) || missing.path !== 'guest.net') continue;
      const wrapper = isNode(missing.fault) ? missing.fault : {};
      const fault = isNode(wrapper.fault) ? wrapper.fault['@_type'] : undefined;
      entry.missing = typeof fault === 'string' ? fault : 'unknown fault';
    }
    objects.push(entry);
  }
  return { token, objects };
}

/**
 * The simulator's SOAP answers (`POST /sdk`) against vCenter's (fixtures/, sources in
 * fixtures/README.md): every path the provider reads is in both with the same type, the simulator
 * sends no path the recorded or documented answer lacks, faults carry the recorded types, and the
 * readers in soap.ts take the samples. Each request is the provider's own envelope (soap.ts).
 */
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { compareShapes, shapeOf } from '../../test/helpers/wire-shape.js';
import { sessionCookie } from './guest-net.js';
import vsphereSim, { liveSoapSessions } from './sim.js';
import {
  continueRetrieve,
  login,
  logout,
  parseEnvelope,
  readFault,
  readRetrieveResult,
  readServiceContent,
  retrieveGuestNet,
  retrieveServiceContent,
  SOAP_ACTION,
} from './soap.js';

const USER = 'discover@vsphere.local';
const PASSWORD = 'Vc-Wire-Pass-31c9d7';
const SESSION_MANAGER = { type: 'SessionManager', value: 'SessionManager' };
const COLLECTOR = { type: 'PropertyCollector', value: 'propertyCollector' };

const sample = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The Body's one child, parsed as the provider parses it (attributes kept as `@_name`). */
function body(text: string): { name: string; node: Record<string, unknown> } {
  const parsed = parseEnvelope(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

const vm = (n: number, over: Partial<FleetInstance> = {}): FleetInstance => ({
  id: `vm-${40 + n}`,
  cloud: 'vsphere',
  name: `vm${n}`,
  tags: { role: 'server' },
  private_ipv4: `10.0.0.${n}`,
  ...over,
});
const fleet: Fleet = {
  credentials: { vsphere: { user: USER, password: PASSWORD } },
  instances: [vm(2, { private_ipv6: '2001:db8::2' }), vm(3, { vmware_tools: false }), vm(4)],
};

async function startSdk(t: ExecutionContext) {
  const sim = await startTestSim(t, fleet, [vsphereSim]);
  const post = async (envelope: string, cookie?: string) => {
    const response = await fetch(new URL('/sdk', sim.httpsUrl), {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION, ...(cookie ? { cookie } : {}) },
      body: envelope,
    });
    return { status: response.status, setCookie: response.headers.getSetCookie(), text: await response.text() };
  };
  return { sim, post };
}

function sameShape(t: ExecutionContext, sim: string, recorded: string, read: readonly string[], what: string) {
  const simBody = body(sim);
  const recordedBody = body(recorded);
  t.is(simBody.name, recordedBody.name, what);
  t.deepEqual(compareShapes(shapeOf(simBody.node), shapeOf(recordedBody.node), read), [], what);
}

const OBJECTS_READ = [
  'returnval.objects.obj.#text',
  'returnval.objects.obj.@_type',
  'returnval.objects.propSet.name',
  'returnval.objects.propSet.val.@_type',
  'returnval.objects.propSet.val.GuestNicInfo.ipConfig.ipAddress.ipAddress',
];

test('a whole session: the answers have the shape of vCenter’s, and each reader takes the sample', async (t) => {
  const { sim, post } = await startSdk(t);

  const content = await post(retrieveServiceContent());
  t.is(content.status, 200);
  const refs = ['returnval.sessionManager.#text', 'returnval.sessionManager.@_type', 'returnval.propertyCollector.#text', 'returnval.propertyCollector.@_type'];
  sameShape(t, content.text, sample('soap-retrieve-service-content.xml'), refs, 'RetrieveServiceContent');
  t.deepEqual(readServiceContent(body(sample('soap-retrieve-service-content.xml')).node), { sessionManager: SESSION_MANAGER, propertyCollector: COLLECTOR });

  const denied = await post(login(SESSION_MANAGER, USER, 'wrong'));
  t.is(denied.status, 500);
  sameShape(t, denied.text, sample('soap-invalid-login.xml'), ['faultstring', 'detail.InvalidLoginFault.@_type'], 'InvalidLogin');
  t.deepEqual(readFault(body(sample('soap-invalid-login.xml')).node), {
    type: 'InvalidLogin',
    message: 'Cannot complete login due to an incorrect user name or password.',
  });
  t.deepEqual(readFault(body(denied.text).node), readFault(body(sample('soap-invalid-login.xml')).node));

  const ok = await post(login(SESSION_MANAGER, USER, PASSWORD));
  t.is(ok.status, 200);
  sameShape(t, ok.text, sample('soap-login.xml'), ['returnval.userName', 'returnval.key'], 'Login');
  // The recorded answer's header: `vmware_soap_session="<40 hex>"; Path=/; HttpOnly; Secure;`
  t.regex(ok.setCookie[0] ?? '', /^vmware_soap_session="[0-9a-f]{40}"; Path=\/; HttpOnly; Secure;$/);
  t.is(
    sessionCookie('vmware_soap_session="7bea48466ca72276d54d979e86c48fb254b0f4ec"; Path=/; HttpOnly; Secure;'),
    'vmware_soap_session="7bea48466ca72276d54d979e86c48fb254b0f4ec"',
  );
  const cookie = sessionCookie(ok.setCookie);
  t.truthy(cookie);

  const vms = ['vm-42', 'vm-43', 'vm-44'];
  const first = await post(retrieveGuestNet(COLLECTOR, vms, 2), cookie);
  t.is(first.status, 200);
  sameShape(t, first.text, sample('soap-retrieve-properties-ex.xml'), ['returnval.token', ...OBJECTS_READ], 'RetrievePropertiesEx');
  const page = readRetrieveResult(body(first.text).node);
  if (typeof page === 'string') return t.fail(page);
  t.is(page.objects.length, 2);
  t.deepEqual(
    page.objects.map((o) => [o.vm, o.nics?.length]),
    [
      ['vm-42', 1],
      ['vm-43', undefined],
    ],
  );
  const recordedPage = readRetrieveResult(body(sample('soap-retrieve-properties-ex.xml')).node);
  if (typeof recordedPage === 'string') return t.fail(recordedPage);
  t.is(recordedPage.token, '1');
  t.deepEqual(
    recordedPage.objects.map((o) => [o.vm, o.nics?.map((nic) => nic.ipConfig?.ipAddress?.map((entry) => entry.ipAddress))]),
    [
      ['vm-42', [['192.168.122.87', '2001:db8:42::87', 'fe80::bba5:5d60:f47c:81b5']]],
      ['vm-43', undefined],
    ],
  );

  const last = await post(continueRetrieve(COLLECTOR, page.token as string), cookie);
  t.is(last.status, 200);
  sameShape(t, last.text, sample('soap-continue-retrieve-properties-ex.xml'), OBJECTS_READ, 'ContinueRetrievePropertiesEx');
  const rest = readRetrieveResult(body(last.text).node);
  t.deepEqual(typeof rest === 'string' ? rest : [rest.token, rest.objects.map((o) => o.vm)], [undefined, ['vm-44']]);
  // A token serves once.
  t.is(readFault(body((await post(continueRetrieve(COLLECTOR, page.token as string), cookie)).text).node).type, 'InvalidProperty');

  const gone = await post(retrieveGuestNet(COLLECTOR, ['vm-99'], 10), cookie);
  t.is(gone.status, 500);
  t.deepEqual(readFault(body(gone.text).node), {
    type: 'ManagedObjectNotFound',
    message: "The object 'vim.VirtualMachine:vm-99' has already been deleted or has not been completely created",
  });

  const out = await post(logout(SESSION_MANAGER), cookie);
  t.is(out.status, 200);
  sameShape(t, out.text, sample('soap-logout.xml'), [], 'Logout');
  t.is(liveSoapSessions(sim.ctx), 0);
});

test('no session cookie, a made-up one, or a logged-out one: the NotAuthenticated fault', async (t) => {
  const { post } = await startSdk(t);
  const recorded = sample('soap-not-authenticated.xml');
  t.deepEqual(readFault(body(recorded).node), { type: 'NotAuthenticated', message: 'The session is not authenticated.' });
  const cookie = sessionCookie((await post(login(SESSION_MANAGER, USER, PASSWORD))).setCookie);
  await post(logout(SESSION_MANAGER), cookie);
  for (const [what, given] of [
    ['none', undefined],
    ['made up', 'vmware_soap_session="0123456789abcdef0123456789abcdef01234567"'],
    ['logged out', cookie],
  ] as const) {
    const answer = await post(retrieveGuestNet(COLLECTOR, ['vm-42'], 10), given);
    t.is(answer.status, 500, what);
    sameShape(t, answer.text, recorded, ['faultstring', 'detail.NotAuthenticatedFault.@_type'], `NotAuthenticated (${what})`);
  }
});

test('maxObjects pages the answer; a smaller fleet page_size wins', async (t) => {
  const { sim, post } = await startSdk(t);
  const cookie = sessionCookie((await post(login(SESSION_MANAGER, USER, PASSWORD))).setCookie);
  const sizes = async (maxObjects: number) => {
    const counts: number[] = [];
    let result = readRetrieveResult(body((await post(retrieveGuestNet(COLLECTOR, ['vm-42', 'vm-43', 'vm-44'], maxObjects), cookie)).text).node);
    for (;;) {
      if (typeof result === 'string') throw new Error(result);
      counts.push(result.objects.length);
      if (!result.token) return counts;
      result = readRetrieveResult(body((await post(continueRetrieve(COLLECTOR, result.token), cookie)).text).node);
    }
  };
  t.deepEqual(await sizes(1), [1, 1, 1]);
  t.deepEqual(await sizes(2), [2, 1]);
  t.deepEqual(await sizes(100), [3]);
  sim.setFleet({ ...fleet, page_size: { 'vsphere-sdk': 2 } });
  t.deepEqual(await sizes(100), [2, 1]);
  await post(logout(SESSION_MANAGER), cookie);
});

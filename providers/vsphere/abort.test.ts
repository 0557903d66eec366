/**
 * An aborted vsphere call closes the request it has in flight: every REST and SOAP request carries
 * the call's signal. The retry layer (apiCall) gives up on an abort whatever the request does, so
 * only the server side shows a request that kept running: a front (test/helpers/front.ts) holds one
 * request unanswered, the call is aborted, and the test waits for that request's connection to
 * close. The held request is never let go, so only the client can close it; without the signal it
 * stays open until the client's own 60 s request timeout, past the wait's bound (a timeout).
 * Then what the call sent after the abort: the sessions it had opened are ended (`Logout`,
 * `DELETE /api/session`, not under the aborted signal), and nothing else.
 */
import test, { type ExecutionContext } from 'ava';
import { Discover } from '../../src/discover.js';
import { AbortError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import type { Fleet, FleetInstance } from '../../src/sim/fleet.js';
import { type FrontRequest, startFront } from '../../test/helpers/front.js';
import { startTestSim } from '../../test/helpers/sim.js';
import { within } from '../../test/helpers/wait.js';
import { listTaggedVms } from './client.js';
import vsphere from './index.js';
import vsphereSim, { allSessionsDeleted, liveSessions, liveSoapSessions, SDK_API } from './sim.js';
import { parseEnvelope } from './soap.js';

const USER = 'discover@vsphere.local';
const PASSWORD = 'Vc-Abort-Pass-5e1d93';

const vm = (n: number): FleetInstance => ({
  id: `vm-${200 + n}`,
  cloud: 'vsphere',
  name: `vm${n}`,
  tags: { 'consul-role': 'server' },
  private_ipv4: `10.0.0.${n}`,
});
// One VM a page: the second page is a ContinueRetrievePropertiesEx.
const fleet: Fleet = { credentials: { vsphere: { user: USER, password: PASSWORD } }, instances: [vm(1), vm(2), vm(3)], page_size: { [SDK_API]: 1 } };

const REST: Array<[RegExp, string]> = [
  [/^POST \/api\/session$/, 'CreateSession'],
  [/^DELETE \/api\/session$/, 'DeleteSession'],
  [/^GET \/api\/cis\/tagging\/category$/, 'ListCategories'],
  [/^GET \/api\/cis\/tagging\/category\/[^/]+$/, 'GetCategory'],
  [/^POST \/api\/cis\/tagging\/tag\?action=list-tags-for-category$/, 'ListTagsForCategory'],
  [/^GET \/api\/cis\/tagging\/tag\/[^/]+$/, 'GetTag'],
  [/^POST \/api\/cis\/tagging\/tag-association\?action=list-attached-objects-on-tags$/, 'ListAttachedObjectsOnTags'],
];

/** A request's operation: the SOAP method its Body calls, or the REST call its method and path name. */
function operationOf(request: FrontRequest): string {
  if (request.path === '/sdk') {
    const parsed = parseEnvelope(request.body);
    return typeof parsed === 'string' ? `SOAP (${parsed})` : parsed.name;
  }
  const line = `${request.method} ${request.path}`;
  return REST.find(([pattern]) => pattern.test(line))?.[1] ?? line;
}

interface HoldingFront {
  /** The front's host:port, for the provider's `host`. */
  host: string;
  /** Resolves when the first request of `operation` has arrived (and is held). */
  held(operation: string): Promise<void>;
  /** Resolves when the held `operation` request's connection has closed (it is never answered). */
  closed(operation: string): Promise<void>;
  /** Every request's operation, in arrival order. */
  operations(): string[];
}

/**
 * An https front for the simulator that holds the first request of each of `operations` and
 * never lets it go; every other request goes on at once. A held request's connection closes only
 * when the client closes it (or at teardown, after the test).
 */
async function holdingFront(t: ExecutionContext, target: string, operations: string[]): Promise<HoldingFront> {
  const waiting = new Map<string, { arrived: () => void; closed: (closed: Promise<void>) => void }>();
  const arrivals = new Map<string, Promise<void>>();
  const closes = new Map<string, Promise<void>>();
  for (const operation of operations) {
    let arrived!: () => void;
    let closed!: (closed: Promise<void>) => void;
    arrivals.set(operation, new Promise<void>((resolve) => (arrived = resolve)));
    closes.set(operation, new Promise<void>((resolve) => (closed = (done) => void done.then(resolve))));
    waiting.set(operation, { arrived, closed });
  }
  const front = await startFront(t, target, {
    scheme: 'https',
    hold(request, release, closed) {
      const operation = operationOf(request);
      const held = waiting.get(operation);
      if (!held) return release();
      waiting.delete(operation);
      held.closed(closed);
      held.arrived();
    },
  });
  const known = (map: Map<string, Promise<void>>, operation: string) => {
    const promise = map.get(operation);
    if (!promise) throw new Error(`the front holds no ${operation} request`);
    return promise;
  };
  return {
    host: new URL(front.url).host,
    held: (operation) => known(arrivals, operation),
    closed: (operation) => known(closes, operation),
    operations: () => front.requests().map(operationOf),
  };
}

function recordingLogger(warnings: string[]): Logger {
  return { debug: () => {}, info: () => {}, warn: (message: string) => warnings.push(message), error: () => {} };
}

/** The provider's lookup through `front`, under `signal`, with a client the test owns (never destroyed before the end). */
function lookup(t: ExecutionContext, front: HoldingFront, signal: AbortSignal, warnings: string[]) {
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const ctx = { http, log: recordingLogger(warnings), signal, deadline: undefined, userAgent: 'test', env: {} };
  return listTaggedVms(ctx, { host: front.host, user: USER, password: PASSWORD, categoryName: 'consul-role', tagName: 'server', insecure: false });
}

// What the client sends after the abort: the sessions it opened, ended; nothing more.
const cases: Array<{ held: string; after: string[] }> = [
  { held: 'CreateSession', after: [] },
  { held: 'ListCategories', after: ['DeleteSession'] },
  { held: 'GetCategory', after: ['DeleteSession'] },
  { held: 'ListTagsForCategory', after: ['DeleteSession'] },
  { held: 'GetTag', after: ['DeleteSession'] },
  { held: 'ListAttachedObjectsOnTags', after: ['DeleteSession'] },
  { held: 'RetrieveServiceContent', after: ['DeleteSession'] },
  // The Login never reached vCenter: no session to end, and the client has no cookie to end one with.
  { held: 'Login', after: ['DeleteSession'] },
  { held: 'RetrievePropertiesEx', after: ['Logout', 'DeleteSession'] },
  { held: 'ContinueRetrievePropertiesEx', after: ['Logout', 'DeleteSession'] },
];

for (const c of cases) {
  test(`an abort while ${c.held} is in flight closes its connection; then ${c.after.join(' and ') || 'nothing'}`, async (t) => {
    const sim = await startTestSim(t, fleet, [vsphereSim]);
    const front = await holdingFront(t, sim.httpsUrl, [c.held]);
    const controller = new AbortController();
    const warnings: string[] = [];
    const call = lookup(t, front, controller.signal, warnings);
    call.catch(() => {});
    await within(front.held(c.held), `the ${c.held} request reaching the front`);
    controller.abort();
    await t.throwsAsync(within(call, 'the aborted call ending'), { instanceOf: AbortError, code: 'ERR_ABORTED' });
    await within(front.closed(c.held), `the client closing the held ${c.held} request's connection after the abort`);
    const operations = front.operations();
    t.deepEqual(operations.slice(operations.indexOf(c.held) + 1), c.after, operations.join(', '));
    // Every session vCenter opened (a Login let through opened one) was ended by the calls after the abort.
    t.is(liveSessions(sim.ctx), 0);
    t.deepEqual(warnings, []);
  });
}

test('the engine, with a client it was given (as the retry-join loop gives its own): an abort closes the page request in flight', async (t) => {
  const sim = await startTestSim(t, fleet, [vsphereSim]);
  const front = await holdingFront(t, sim.httpsUrl, ['RetrievePropertiesEx']);
  // The engine destroys a client it made when the call is aborted, which would close the request
  // whatever the provider did; it leaves a given one alone.
  const http = createHttpClient({ env: {} });
  t.teardown(() => http.destroy());
  const controller = new AbortController();
  const engine = new Discover({ builtins: false, providers: [vsphere] });
  const config = `provider=vsphere category_name=consul-role tag_name=server host=${front.host} user=${USER} password=${PASSWORD}`;
  const call = engine.discover(config, { http, signal: controller.signal, timeout: '10m' });
  call.catch(() => {});
  await within(front.held('RetrievePropertiesEx'), 'the RetrievePropertiesEx request reaching the front');
  controller.abort();
  await t.throwsAsync(within(call, 'the aborted call ending'), { instanceOf: AbortError, code: 'ERR_ABORTED' });
  await within(front.closed('RetrievePropertiesEx'), "the client closing the held RetrievePropertiesEx request's connection after the abort");
  // The engine answers the abort at once; the provider's Logout and DELETE land afterwards.
  await within(allSessionsDeleted(sim.ctx), 'both sessions ended after the abort');
  t.is(liveSessions(sim.ctx), 0);
});

test('Logout after an abort is bounded (5 s, its own timeout): a vCenter that never answers it costs a warning, not a hang', async (t) => {
  const sim = await startTestSim(t, fleet, [vsphereSim]);
  const front = await holdingFront(t, sim.httpsUrl, ['RetrievePropertiesEx', 'Logout']);
  const controller = new AbortController();
  const warnings: string[] = [];
  const call = lookup(t, front, controller.signal, warnings);
  call.catch(() => {});
  await within(front.held('RetrievePropertiesEx'), 'the RetrievePropertiesEx request reaching the front');
  controller.abort();
  // The call ends once Logout has timed out; then the REST session is still deleted.
  await t.throwsAsync(within(call, 'the aborted call ending (Logout bounded at 5 s)'), { instanceOf: AbortError, code: 'ERR_ABORTED' });
  t.deepEqual(front.operations().slice(-3), ['RetrievePropertiesEx', 'Logout', 'DeleteSession'], front.operations().join(', '));
  await within(front.closed('RetrievePropertiesEx'), "the client closing the held page request's connection after the abort");
  await within(front.closed('Logout'), "the client closing the held Logout request's connection on its timeout");
  t.deepEqual(warnings, [`discover-vsphere: Logout failed (POST https://${front.host}/sdk timed out after 5000 ms); the session expires on its own`]);
  // vCenter never saw the Logout: its SOAP session expires on its own; the REST one was deleted.
  t.is(liveSoapSessions(sim.ctx), 1);
  t.is(liveSessions(sim.ctx), 1);
});

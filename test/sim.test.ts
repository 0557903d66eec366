import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, get as httpGet, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { waitUntil, within } from './helpers/wait.js';
import { AutojoinError, LoopbackOnlyError } from '../src/errors.js';
import { CA_CERT_FILE, CA_KEY_FILE, ensureCa, isUsableCa } from '../src/sim/ca.js';
import { FaultBook, corruptBody, truncatedBody } from '../src/sim/faults.js';
import type { Fleet } from '../src/sim/fleet.js';
import { pasteExample } from '../src/kit/sim.js';
import { fleetSchema, isVisible, visibleInstances, visibleServices } from '../src/sim/index.js';
import { parseConfig } from '../src/config/parse.js';
import { FleetError, loadFleet, parseFleet, validateFaultSpec, validateFleet } from '../src/sim/load.js';
import { fleetSummary, renderPaste, shellQuote } from '../src/sim/paste.js';
import { defaultFleetPath, runSim } from '../src/sim/run.js';
import { loadBuiltinSims } from '../src/sim/server.js';
import type { SimApi, SimErrorKind, SimModule, SimRequest } from '../src/sim/types.js';
import { builtins } from '../providers/index.js';
import { SIM_CA_DIR, startTestSim } from './helpers/sim.js';

const execFileAsync = promisify(execFile);
/** The built-in simulator modules: what the fleets below are checked against. */
const modules = await loadBuiltinSims();
/** Every cloud the built-in modules serve, as the unknown-cloud message lists them. */
const CLOUDS = [...fleetSchema(modules).clouds.keys()].join(', ');
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// --- a tiny cloud of our own: the sim's contract, not an SDK mock ---

const ERROR_STATUS: Record<SimErrorKind, number> = { throttle: 429, auth: 401, server: 500, unavailable: 503 };

function fakeApi(name: string, prefix: string, extra: Partial<SimApi> = {}): SimApi {
  return {
    name,
    match: (req) => req.url.pathname.startsWith(prefix),
    faultable: (req) => !req.url.pathname.endsWith('/token'),
    handle: (req, ctx) => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'x-api': name },
      body: JSON.stringify({
        api: name,
        method: req.method,
        path: req.url.pathname,
        body: req.body.toString('utf8'),
        scheme: req.scheme,
        instances: visibleInstances(ctx, 'fake').map((i) => i.id),
        padding: 'x'.repeat(200),
      }),
    }),
    errorResponse: (kind) => ({
      status: ERROR_STATUS[kind],
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fakeError: kind }),
    }),
    ...extra,
  };
}

function fakeModule(): SimModule & { setups: number } {
  const mod = {
    provider: 'fake',
    setups: 0,
    // `/data` matches both APIs: the first registered wins.
    apis: [fakeApi('fake-data', '/data'), fakeApi('fake-other', '/d')],
    setup() {
      mod.setups++;
    },
    paste: (ctx: { httpUrl: string; httpsUrl: string }) => ({
      provider: 'fake',
      config: `provider=fake endpoint=${ctx.httpUrl} secret=it's`,
      env: { FAKE_ENDPOINT: ctx.httpsUrl },
    }),
  };
  return mod;
}

const baseFleet = (): Fleet => ({
  credentials: { fake: { key: 'FAKESIMULATOR000' } },
  instances: [
    { id: 'f-1', cloud: 'fake', private_ipv4: '10.0.0.1' },
    { id: 'f-2', cloud: 'fake', private_ipv4: '10.0.0.2' },
    { id: 'o-1', cloud: 'other', private_ipv4: '10.0.0.3' },
  ],
});

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** How the response ended badly, if it did. */
  failure?: string;
}

/** One request on a fresh connection, reporting resets and truncation instead of throwing. */
function raw(url: string, init: { method?: string; body?: string } = {}): Promise<RawAnswer | { failure: string }> {
  return new Promise((resolveRaw) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = (failure?: string) =>
        resolveRaw({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ...(failure ? { failure } : {}) });
      res.on('end', () => finish());
      res.on('aborted', () => finish('aborted'));
      res.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolveRaw({ failure: err.code ?? err.message }));
    req.end(init.body);
  });
}

// biome-ignore lint/suspicious/noExplicitAny: bodies of many shapes, each checked by deepEqual/is
async function json(url: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: await res.json() };
}

function startFake(t: ExecutionContext, fleet: Fleet = baseFleet(), clock?: () => number) {
  const mod = fakeModule();
  return startTestSim(t, fleet, [mod], clock ? { clock } : {}).then((sim) => ({ sim, mod }));
}

// --- routing ---

test('routes to the first API whose match() claims the request, with the whole body read first', async (t) => {
  const { sim, mod } = await startFake(t);
  t.is(mod.setups, 1);
  const body = 'y'.repeat(300_000);
  const data = await json(`${sim.httpUrl}/data/list`, { method: 'POST', body });
  t.is(data.status, 200);
  t.is(data.body.api, 'fake-data');
  t.is(data.body.method, 'POST');
  t.is(JSON.parse(data.body.body), body);
  t.is(data.body.scheme, 'http');
  t.deepEqual(data.body.instances, ['f-1', 'f-2']);
  const other = await json(`${sim.httpUrl}/dx`);
  t.is(other.body.api, 'fake-other');
  t.deepEqual(sim.counts(), { 'fake-data': 1, 'fake-other': 1 });
  sim.resetCounts();
  t.deepEqual(sim.counts(), {});
});

test('answers 404 JSON when no API matches', async (t) => {
  const { sim } = await startFake(t);
  const res = await json(`${sim.httpUrl}/nothing/here`);
  t.is(res.status, 404);
  t.is(res.body.error, 'sim_no_api');
  t.regex(res.body.message, /GET \/nothing\/here/);
  t.deepEqual(sim.counts(), {});
});

test('listens on 127.0.0.1 only, HTTP and HTTPS on distinct ports', async (t) => {
  const { sim } = await startFake(t);
  t.regex(sim.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.regex(sim.httpsUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  t.not(new URL(sim.httpUrl).port, new URL(sim.httpsUrl).port);
  t.is(sim.ctx.httpUrl, sim.httpUrl);
  t.is(sim.caPath, join(SIM_CA_DIR, CA_CERT_FILE));
});

test('HTTPS is trusted by a plain node child process through NODE_EXTRA_CA_CERTS, and only then', async (t) => {
  const { sim } = await startFake(t);
  const script = `require('https').get(process.argv[1], (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => console.log(r.statusCode, JSON.parse(b).scheme)); }).on('error', (e) => console.log('error', e.code));`;
  const trusted = await execFileAsync(process.execPath, ['-e', script, `${sim.httpsUrl}/data/tls`], {
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: sim.caPath },
  });
  t.is(trusted.stdout.trim(), '200 https');
  const untrusted = await execFileAsync(process.execPath, ['-e', script, `${sim.httpsUrl}/data/tls`], { env: { PATH: process.env.PATH } });
  t.regex(untrusted.stdout.trim(), /^error (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
});

test('the HTTPS certificate also names localhost', async (t) => {
  const { sim } = await startFake(t);
  const script = `require('https').get(process.argv[1], (r) => { r.resume(); console.log(r.statusCode); }).on('error', (e) => console.log('error', e.code));`;
  const url = sim.httpsUrl.replace('127.0.0.1', 'localhost');
  const { stdout } = await execFileAsync(process.execPath, ['-e', script, `${url}/data/x`], {
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: sim.caPath, NODE_OPTIONS: '--dns-result-order=ipv4first' },
  });
  t.is(stdout.trim(), '200');
});

test('loads every built-in simulator module of the composition when none are given', async (t) => {
  const modules = await loadBuiltinSims();
  // The composition's modules, then the engine's own (client introduction).
  t.is(modules.length, builtins.filter((entry) => entry.sim).length + 1);
  t.deepEqual(
    modules.map((m) => m.provider),
    [...builtins.flatMap((entry) => (entry.sim ? [entry.name] : [])), 'intro'],
  );
});

test('refuses two APIs with one name', async (t) => {
  const mod = fakeModule();
  mod.apis.push(fakeApi('fake-data', '/again'));
  await t.throwsAsync(startTestSim(t, baseFleet(), [mod]), { message: 'sim: two APIs are named fake-data' });
});

test('a module that throws answers 500 JSON naming the failure, and the sim keeps serving', async (t) => {
  const mod = fakeModule();
  mod.apis.unshift(
    fakeApi('fake-broken', '/broken', {
      handle: () => {
        throw new Error('fixture not found');
      },
    }),
  );
  const sim = await startTestSim(t, baseFleet(), [mod]);
  const res = await json(`${sim.httpUrl}/broken`);
  t.is(res.status, 500);
  t.deepEqual(res.body, { error: 'sim_internal', message: 'fixture not found' });
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 200);
});

test('refuses to listen beyond loopback', async (t) => {
  await t.throwsAsync(startTestSim(t, baseFleet(), [fakeModule()], { host: '0.0.0.0' }), {
    instanceOf: LoopbackOnlyError,
    code: 'ERR_LOOPBACK_ONLY',
  });
});

// --- faults through the server ---

test('latency delays the answer', async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { latency_ms: 60 });
  const started = performance.now();
  const res = await json(`${sim.httpUrl}/data/slow`);
  t.is(res.status, 200);
  t.true(performance.now() - started >= 55);
});

test("error faults answer with the module's error body and recover after error_count", async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { error: 'unavailable', error_count: 2 });
  for (let i = 0; i < 2; i++) {
    const res = await json(`${sim.httpUrl}/data/x`);
    t.is(res.status, 503);
    t.deepEqual(res.body, { fakeError: 'unavailable' });
  }
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 200);
  t.is(sim.counts()['fake-data'], 3);
});

test('a bare status error keeps the cloud body and forces the status', async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { error: 500 });
  const res = await json(`${sim.httpUrl}/data/x`);
  t.is(res.status, 500);
  t.deepEqual(res.body, { fakeError: 'server' });
});

test("auth_reject answers with the module's auth error, but not on exempt token calls", async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { auth_reject: true });
  const res = await json(`${sim.httpUrl}/data/x`);
  t.is(res.status, 401);
  t.deepEqual(res.body, { fakeError: 'auth' });
  t.is((await json(`${sim.httpUrl}/data/token`)).status, 200);
  t.is(sim.counts()['fake-data'], 2);
});

test('malformed answers 200 with the real body cut and garbled', async (t) => {
  const { sim } = await startFake(t);
  const real = (await raw(`${sim.httpUrl}/data/x`)) as RawAnswer;
  sim.setFaults('fake-data', { malformed: true });
  const broken = (await raw(`${sim.httpUrl}/data/x`)) as RawAnswer;
  t.is(broken.status, 200);
  t.is(broken.failure, undefined);
  t.is(broken.headers['content-type'], 'application/json');
  t.throws(() => JSON.parse(broken.body));
  t.true(broken.body.startsWith(real.body.slice(0, Math.floor(real.body.length * 0.6))));
  t.is(Number(broken.headers['content-length']), Buffer.byteLength(broken.body));
});

test('truncated declares the full length, sends half, then drops the connection', async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { truncated: true });
  const answer = (await raw(`${sim.httpUrl}/data/x`)) as RawAnswer;
  t.is(answer.status, 200);
  t.truthy(answer.failure);
  const declared = Number(answer.headers['content-length']);
  t.true(declared > 200);
  t.is(Buffer.byteLength(answer.body), Math.floor(declared / 2));
  await t.throwsAsync(fetch(`${sim.httpUrl}/data/x`).then((r) => r.text()));
});

test('reset destroys the connection without an answer', async (t) => {
  const { sim } = await startFake(t);
  sim.setFaults('fake-data', { reset: true });
  const answer = await raw(`${sim.httpUrl}/data/x`);
  t.true(answer.failure === 'ECONNRESET' || answer.failure === 'socket hang up');
  t.false('status' in answer);
  t.is(sim.counts()['fake-data'], 1);
  sim.setFaults('fake-data', undefined);
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 200);
});

test('faults from the fleet file apply per API; run-time null clears them', async (t) => {
  const { sim } = await startFake(t, { ...baseFleet(), faults: { 'fake-other': { error: 'server' } } });
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 200);
  t.is((await json(`${sim.httpUrl}/dx`)).status, 500);
  sim.setFaults('fake-other', undefined);
  t.is((await json(`${sim.httpUrl}/dx`)).status, 200);
  t.throws(() => sim.setFaults('fake-dta', { reset: true }), { message: 'sim: no API named fake-dta (known: fake-data, fake-other)' });
});

test("rate limit throttles past the burst with the module's throttle error, refilled by the clock", async (t) => {
  let now = 0;
  const { sim } = await startFake(t, baseFleet(), () => now);
  sim.setFaults('fake-data', { rate_limit: { rps: 2, burst: 2 } });
  const statuses = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await json(`${sim.httpUrl}/data/x`)).status);
    return out;
  };
  t.deepEqual(await statuses(3), [200, 200, 429]);
  now += 500; // one token at 2 rps
  t.deepEqual(await statuses(2), [200, 429]);
  now += 10_000; // refills to the burst, no further
  t.deepEqual(await statuses(3), [200, 200, 429]);
});

// --- faults, pure ---

test('FaultBook: token bucket with an injected clock', (t) => {
  let now = 1000;
  const book = new FaultBook({ api: { rate_limit: { rps: 1, burst: 3 } } }, () => now);
  const kinds = (n: number) => Array.from({ length: n }, () => book.decide('api').action.kind);
  t.deepEqual(kinds(4), ['pass', 'pass', 'pass', 'error']);
  now += 999;
  t.deepEqual(kinds(1), ['error']);
  now += 1;
  t.deepEqual(kinds(2), ['pass', 'error']);
  t.deepEqual(book.decide('api').action, { kind: 'error', error: 'throttle' });
});

test('FaultBook: order is rate limit, latency, reset, error, malformed, truncated', (t) => {
  const book = new FaultBook(undefined, () => 0);
  book.set('a', { latency_ms: 5, reset: true, error: 'server', malformed: true, truncated: true });
  t.deepEqual(book.decide('a'), { latencyMs: 5, action: { kind: 'reset' } });
  book.set('a', { latency_ms: 5, error: 'server', error_count: 1, malformed: true, truncated: true });
  t.deepEqual(book.decide('a'), { latencyMs: 5, action: { kind: 'error', error: 'server' } });
  t.deepEqual(book.decide('a'), { latencyMs: 5, action: { kind: 'malformed' } });
  book.set('a', { truncated: true });
  t.deepEqual(book.decide('a'), { latencyMs: 0, action: { kind: 'truncated' } });
  book.set('a', { rate_limit: { rps: 1, burst: 1 }, latency_ms: 5 });
  t.deepEqual(book.decide('a'), { latencyMs: 5, action: { kind: 'pass' } });
  t.deepEqual(book.decide('a'), { latencyMs: 0, action: { kind: 'error', error: 'throttle' } });
  book.set('a', { auth_reject: true, error: 'server' });
  t.deepEqual(book.decide('a').action, { kind: 'error', error: 'auth' });
  book.set('a', { error: 503 });
  t.deepEqual(book.decide('a').action, { kind: 'error', error: 'unavailable', status: 503 });
  t.deepEqual(book.decide('other'), { latencyMs: 0, action: { kind: 'pass' } });
});

test('FaultBook: a new spec starts a fresh error count; a new fleet keeps run-time overrides', (t) => {
  const book = new FaultBook({ a: { error: 'server', error_count: 1 }, b: { reset: true } }, () => 0);
  t.is(book.decide('a').action.kind, 'error');
  t.is(book.decide('a').action.kind, 'pass');
  book.set('a', { error: 'server', error_count: 1 });
  t.is(book.decide('a').action.kind, 'error');
  book.set('b', undefined);
  book.setFleetFaults({ b: { reset: true }, c: { malformed: true } });
  t.is(book.decide('b').action.kind, 'pass');
  t.is(book.decide('c').action.kind, 'malformed');
  t.deepEqual(Object.keys(book.all()).sort(), ['a', 'c']);
});

const bodyCases = [
  { name: 'json', body: '{"instances":[{"id":"i-1"},{"id":"i-2"}]}' },
  { name: 'xml', body: '<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>' },
  { name: 'empty', body: '' },
];
for (const c of bodyCases) {
  test(`corruptBody and truncatedBody: ${c.name}`, (t) => {
    const body = Buffer.from(c.body);
    const broken = corruptBody(body).toString('utf8');
    t.true(broken.startsWith(c.body.slice(0, Math.floor(c.body.length * 0.6))));
    t.throws(() => JSON.parse(broken));
    t.false(broken.endsWith('>'));
    t.is(truncatedBody(body).length, Math.floor(body.length / 2));
  });
}

// --- control endpoint ---

test('control: health, counts, faults, fleet, instances', async (t) => {
  const { sim } = await startFake(t);
  const health = await json(`${sim.httpUrl}/_sim/health`);
  t.is(health.status, 200);
  t.deepEqual(health.body.apis, ['fake-data', 'fake-other']);
  t.is(health.body.ok, true);

  await json(`${sim.httpUrl}/data/x`);
  t.deepEqual((await json(`${sim.httpUrl}/_sim/counts`)).body, { 'fake-data': 1 });
  t.deepEqual((await json(`${sim.httpUrl}/_sim/counts`, { method: 'DELETE' })).body, { 'fake-data': 1 });
  t.deepEqual(sim.counts(), {});
  await json(`${sim.httpUrl}/data/x`);

  const set = await json(`${sim.httpUrl}/_sim/faults`, { method: 'POST', body: { api: 'fake-data', spec: { error: 'throttle' } } });
  t.is(set.status, 200);
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 429);
  t.deepEqual((await json(`${sim.httpUrl}/_sim/faults`)).body, { 'fake-data': { error: 'throttle' } });
  await json(`${sim.httpUrl}/_sim/faults`, { method: 'POST', body: { api: 'fake-data', spec: null } });
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 200);

  const badSpec = await json(`${sim.httpUrl}/_sim/faults`, { method: 'POST', body: { api: 'fake-data', spec: { eror: 'server' } } });
  t.is(badSpec.status, 400);
  t.deepEqual(badSpec.body.problems, ['spec.eror: unknown field (did you mean "error"?)']);
  const unknownApi = await json(`${sim.httpUrl}/_sim/faults`, { method: 'POST', body: { api: 'nope', spec: null } });
  t.is(unknownApi.status, 404);

  const added = await json(`${sim.httpUrl}/_sim/instances`, { method: 'POST', body: { id: 'f-3', cloud: 'fake', private_ipv4: '10.0.0.9' } });
  t.is(added.status, 201);
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-1', 'f-2', 'f-3']);
  t.is(sim.ctx.fleet.instances.at(-1)?.state, 'running');
  const dup = await json(`${sim.httpUrl}/_sim/instances`, { method: 'POST', body: [{ id: 'f-3', cloud: 'fake' }] });
  t.is(dup.status, 400);
  t.deepEqual(dup.body.problems, ['instances[0].id: "f-3" is used by another instance']);

  t.is((await json(`${sim.httpUrl}/_sim/instances/f-1`, { method: 'DELETE' })).status, 200);
  t.is((await json(`${sim.httpUrl}/_sim/instances/f-1`, { method: 'DELETE' })).status, 404);
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-2', 'f-3']);

  const replaced = await json(`${sim.httpUrl}/_sim/fleet`, {
    method: 'POST',
    body: { instances: [{ id: 'n-1', cloud: 'fake' }], faults: { 'fake-other': { error: 'auth' } } },
  });
  t.is(replaced.status, 200);
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['n-1']);
  t.is((await json(`${sim.httpUrl}/dx`)).status, 401);
  const badFleet = await json(`${sim.httpUrl}/_sim/fleet`, { method: 'POST', body: { instances: [{ id: 'x', cloud: 'fake', public_ipv4: '1.2.3' }] } });
  t.is(badFleet.status, 400);
  t.deepEqual(badFleet.body.problems, ['instances[0].public_ipv4: "1.2.3" is not an IPv4 address']);

  t.is((await json(`${sim.httpUrl}/_sim/nope`)).status, 404);
  // Control requests are not API requests.
  t.deepEqual(Object.keys(sim.counts()).sort(), ['fake-data', 'fake-other']);
});

test('control lives on the HTTP listener only', async (t) => {
  const { sim } = await startFake(t);
  const script = `require('https').get(process.argv[1], (r) => { r.resume(); console.log(r.statusCode); }).on('error', (e) => console.log('error', e.code));`;
  const { stdout } = await execFileAsync(process.execPath, ['-e', script, `${sim.httpsUrl}/_sim/health`], {
    env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: sim.caPath },
  });
  t.is(stdout.trim(), '404');
});

test('setFleet and updateFleet change what modules see', async (t) => {
  const { sim } = await startFake(t);
  sim.updateFleet((fleet) => ({ ...fleet, instances: fleet.instances.filter((i) => i.id !== 'f-1') }));
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-2']);
  sim.setFleet({ credentials: {}, instances: [], faults: { 'fake-data': { error: 'server' } } });
  t.is((await json(`${sim.httpUrl}/data/x`)).status, 500);
});

test('updateFleet that changes the instance list in place is seen by the next request', async (t) => {
  const { sim } = await startFake(t);
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-1', 'f-2']);
  // Same array, same length: only setFleet's forgetting keeps the per-cloud index from going stale.
  sim.updateFleet((fleet) => {
    fleet.instances[0] = { id: 'f-9', cloud: 'fake' };
    return fleet;
  });
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-9', 'f-2']);
});

test('visibleInstances hands out a copy: a module sorting it does not reorder the fleet', (t) => {
  const ctx = {
    fleet: {
      credentials: {},
      instances: [
        { id: 'b', cloud: 'c' },
        { id: 'a', cloud: 'c' },
        { id: 'z', cloud: 'other' },
      ],
    },
    elapsedMs: () => 0,
  };
  visibleInstances(ctx, 'c').sort((x, y) => x.id.localeCompare(y.id));
  t.deepEqual(
    visibleInstances(ctx, 'c').map((i) => i.id),
    ['b', 'a'],
  );
  t.deepEqual(
    ctx.fleet.instances.map((i) => i.id),
    ['b', 'a', 'z'],
  );
});

// --- appear_after_ms ---

test('instances and services with appear_after_ms stay hidden until sim time passes it', async (t) => {
  let now = 5000;
  const fleet: Fleet = {
    ...baseFleet(),
    instances: [...baseFleet().instances, { id: 'late', cloud: 'fake', appear_after_ms: 1000 }],
    services: [
      { node: 'n1', node_address: '10.0.0.1', service: 'nomad', port: 4647 },
      { node: 'n2', node_address: '10.0.0.2', service: 'nomad', port: 4647, appear_after_ms: 1000 },
    ],
  };
  const { sim } = await startFake(t, fleet, () => now);
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-1', 'f-2']);
  t.deepEqual(
    visibleServices(sim.ctx).map((s) => s.node),
    ['n1'],
  );
  now += 999;
  t.deepEqual(
    visibleInstances(sim.ctx, 'fake').map((i) => i.id),
    ['f-1', 'f-2'],
  );
  now += 1;
  t.deepEqual((await json(`${sim.httpUrl}/data/x`)).body.instances, ['f-1', 'f-2', 'late']);
  t.deepEqual(
    visibleServices(sim.ctx).map((s) => s.node),
    ['n1', 'n2'],
  );
  t.is(sim.ctx.elapsedMs(), 1000);
  t.false(isVisible({ appear_after_ms: 1 }, { elapsedMs: () => 0 }));
});

// --- fleet loading ---

const invalidFleets: Array<{ name: string; doc: unknown; problems: string[] }> = [
  {
    name: 'bad IPv4 names the field',
    doc: {
      instances: [
        { id: 'a', cloud: 'aws' },
        { id: 'b', cloud: 'aws' },
        { id: 'c', cloud: 'aws' },
        { id: 'd', cloud: 'aws', private_ipv4: '10.0.0.300' },
      ],
    },
    problems: ['instances[3].private_ipv4: "10.0.0.300" is not an IPv4 address'],
  },
  {
    name: 'bad IPv6',
    doc: { instances: [{ id: 'a', cloud: 'aws', public_ipv6: '2001:db8::zz' }] },
    problems: ['instances[0].public_ipv6: "2001:db8::zz" is not an IPv6 address'],
  },
  {
    name: 'unknown field with a suggestion',
    doc: { instances: [{ id: 'a', cloud: 'aws', private_ip4: '10.0.0.1' }] },
    problems: ['instances[0].private_ip4: unknown field (did you mean "private_ipv4"?)'],
  },
  {
    name: 'unknown top-level field',
    doc: { instance: [] },
    problems: ['instance: unknown field (did you mean "instances"?)'],
  },
  {
    name: 'missing id and cloud, every problem at once',
    doc: { instances: [{ name: 'x' }] },
    problems: ['instances[0].id: required', 'instances[0].cloud: required'],
  },
  {
    name: 'duplicate ids',
    doc: {
      instances: [
        { id: 'a', cloud: 'aws' },
        { id: 'a', cloud: 'gce' },
      ],
    },
    problems: ['instances[1].id: "a" is used by another instance'],
  },
  {
    name: 'bad orchestration',
    doc: { instances: [{ id: 'a', cloud: 'azure', orchestration: 'flexibel' }] },
    problems: ['instances[0].orchestration: "flexibel" is not one of "uniform", "flexible" (did you mean "flexible"?)'],
  },
  {
    name: 'ecs needs cluster and family',
    doc: { instances: [{ id: 't', cloud: 'aws', ecs: { cluster: 'c' } }] },
    problems: ['instances[0].ecs.family: required'],
  },
  {
    name: 'service port and health',
    doc: { services: [{ node: 'n', node_address: '10.0.0.1', service: 's', port: 70000, health: 'ok' }] },
    problems: [
      'services[0].port: expected a whole number from 1 to 65535, got 70000',
      'services[0].health: "ok" is not one of "passing", "warning", "critical"',
    ],
  },
  {
    name: 'fault spec fields',
    doc: { faults: { 'aws-ec2': { error: 'boom', rate_limit: { rps: 0, burst: 1.5 }, latency_ms: -1 } } },
    problems: [
      'faults.aws-ec2.latency_ms: expected a number at least 0, got -1',
      'faults.aws-ec2.error: "boom" is not one of "throttle", "server", "unavailable", "auth", 500, 503',
      'faults.aws-ec2.rate_limit.rps: expected a number greater than 0, got 0',
      'faults.aws-ec2.rate_limit.burst: expected a whole number at least 1, got 1.5',
    ],
  },
  {
    name: 'wrong shapes',
    doc: { instances: { id: 'a' }, credentials: { aws: 'key' }, page_size: { 'aws-ec2': 0 } },
    problems: [
      'credentials.aws: expected a mapping, got "key"',
      'instances: expected a list, got a mapping',
      'page_size.aws-ec2: expected a whole number at least 1, got 0',
    ],
  },
  {
    name: 'an unknown cloud, with the choices',
    doc: { instances: [{ id: 'a', cloud: 'awz', labels: { x: 'y' } }] },
    problems: ['instances[0].cloud: unknown cloud "awz" (did you mean "aws"?)'],
  },
  {
    name: 'a cloud no module serves lists the clouds',
    doc: { instances: [{ id: 'a', cloud: 'vultr' }], credentials: { nimbus: { key: 'k' } } },
    problems: [`credentials.nimbus: unknown cloud "nimbus" (the clouds: ${CLOUDS})`, `instances[0].cloud: unknown cloud "vultr" (the clouds: ${CLOUDS})`],
  },
  {
    name: "another cloud's field",
    doc: { instances: [{ id: 'a', cloud: 'aws', labels: { role: 'x' }, scale_set: 's' }] },
    problems: ['instances[0].labels: unknown field', 'instances[0].scale_set: unknown field'],
  },
  {
    name: 'a credential field the module does not declare, and a missing required one',
    doc: { credentials: { aws: { access_key_id: 'AKID', secret_key: 'x' } } },
    problems: ['credentials.aws.secret_key: unknown field', 'credentials.aws.secret_access_key: required'],
  },
  {
    name: 'faults and page sizes of an API no module serves',
    doc: { faults: { 'aws-ec22': { error: 'server' } }, page_size: { 'gce-compte': 10 } },
    problems: [
      'page_size.gce-compte: no module serves an API named "gce-compte" (did you mean "gce-compute"?)',
      'faults.aws-ec22: no module serves an API named "aws-ec22" (did you mean "aws-ec2"?)',
    ],
  },
  {
    name: 'not a mapping at all',
    doc: ['a'],
    problems: ['(top level): expected a mapping, got a list'],
  },
];
for (const c of invalidFleets) {
  test(`fleet validation: ${c.name}`, (t) => {
    const err = t.throws(() => validateFleet(c.doc, modules), { instanceOf: FleetError, code: 'ERR_FLEET' });
    t.deepEqual(err?.problems, c.problems);
    t.is(err?.message, c.problems.map((p) => `fleet: ${p}`).join('\n'));
  });
}

test('fleet validation fills defaults and keeps tag values as text', (t) => {
  const fleet = parseFleet(
    `
instances:
  - id: i-1
    cloud: aws
    tags: { role: nomad-server, port: 4647, on: true }
services:
  - { node: n1, node_address: 10.0.0.1, service: nomad, port: 4647 }
`,
    modules,
  );
  t.deepEqual(fleet.credentials, {});
  t.is(fleet.instances[0]?.state, 'running');
  t.deepEqual(fleet.instances[0]?.tags, { role: 'nomad-server', port: '4647', on: 'true' });
  t.is(fleet.services?.[0]?.health, 'passing');
  t.deepEqual(validateFleet({}, modules), { credentials: {}, instances: [] });
  t.deepEqual(validateFaultSpec({ error: 503, error_count: 2 }), { error: 503, error_count: 2 });
});

test('loadFleet reads JSON and YAML, and names unreadable or unparsable files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-fleet-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'f.json'), JSON.stringify({ instances: [{ id: 'a', cloud: 'gce', state: 'TERMINATED' }] }));
  t.is((await loadFleet(join(dir, 'f.json'))).instances[0]?.state, 'TERMINATED');
  await writeFile(join(dir, 'bad.yaml'), 'instances: [\n');
  await t.throwsAsync(loadFleet(join(dir, 'bad.yaml')), { instanceOf: FleetError, message: /^fleet: .*bad\.yaml: not valid YAML or JSON: / });
  await t.throwsAsync(loadFleet(join(dir, 'missing.yaml')), { instanceOf: FleetError, message: /^fleet: cannot read .*missing\.yaml: ENOENT$/ });
  await writeFile(join(dir, 'empty.yaml'), '');
  t.deepEqual(await loadFleet(join(dir, 'empty.yaml')), { credentials: {}, instances: [] });
});

for (const name of ['demo.yaml', 'test.yaml']) {
  test(`fixtures/fleets/${name} is a valid fleet with every cloud`, async (t) => {
    const fleet = await loadFleet(join(repoRoot, 'fixtures', 'fleets', name));
    const clouds = new Set(fleet.instances.map((i) => i.cloud));
    for (const cloud of ['aws', 'azure', 'gce']) t.true(clouds.has(cloud), cloud);
    t.true((fleet.services ?? []).length > 0);
    t.truthy(fleet.credentials.aws && fleet.credentials.azure && fleet.credentials.gce);
  });
}

// --- CA ---

test('CA: generated once with a 0600 key, reused while valid, replaced when broken', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = await ensureCa(dir);
  t.true(first.created);
  t.is(first.caPath, join(dir, CA_CERT_FILE));
  t.is((await stat(join(dir, CA_KEY_FILE))).mode & 0o777, 0o600);
  t.true(isUsableCa(first.caCert, first.caKey));
  const again = await ensureCa(dir);
  t.false(again.created);
  t.is(again.caCert, first.caCert);

  await writeFile(join(dir, CA_CERT_FILE), 'not a certificate');
  const replaced = await ensureCa(dir);
  t.true(replaced.created);
  t.not(replaced.caCert, first.caCert);
  t.is(await readFile(join(dir, CA_CERT_FILE), 'utf8'), replaced.caCert);
  // A valid certificate with somebody else's key is not ours either.
  t.false(isUsableCa(replaced.caCert, first.caKey));
  // Expiring within the week counts as unusable.
  t.false(isUsableCa(replaced.caCert, replaced.caKey, Date.now() + 10 * 365 * 24 * 3600 * 1000));
});

test('CA: concurrent first starts agree on one CA', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const all = await Promise.all([ensureCa(dir), ensureCa(dir), ensureCa(dir)]);
  t.is(new Set(all.map((ca) => ca.caCert)).size, 1);
  t.is(all.filter((ca) => ca.created).length, 1);
});

test('npm run sim:ca leaves a usable CA in the given folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { stdout } = await execFileAsync(process.execPath, ['--import=tsx', join(repoRoot, 'scripts', 'sim-ca.ts'), dir]);
  t.is(stdout.trim(), `created ${join(dir, CA_CERT_FILE)}`);
  t.true(isUsableCa(await readFile(join(dir, CA_CERT_FILE), 'utf8'), await readFile(join(dir, CA_KEY_FILE), 'utf8')));
});

// --- paste and runSim ---

const quoteCases: Array<[string, string]> = [
  ['plain', 'plain'],
  ['/a/b.pem', '/a/b.pem'],
  ['provider=aws tag_key=role', "'provider=aws tag_key=role'"],
  ["it's", `'it'\\''s'`],
  ['', "''"],
  ['$HOME', "'$HOME'"],
];
for (const [input, expected] of quoteCases) {
  test(`shellQuote(${JSON.stringify(input)})`, (t) => t.is(shellQuote(input), expected));
}

test('renderPaste prints the common env and one block per provider', (t) => {
  const text = renderPaste(
    [
      {
        provider: 'aws',
        config: 'provider=aws region=eu-west-1',
        env: { AWS_ACCESS_KEY_ID: 'AKIDSIMULATOR0000000', NODE_EXTRA_CA_CERTS: '/x/.sim/ca.pem' },
      },
      { provider: 'gce', config: 'provider=gce project_name=p', env: { NODE_EXTRA_CA_CERTS: '/elsewhere/ca.pem' } },
    ],
    { caPath: '/x/.sim/ca.pem', httpUrl: 'http://127.0.0.1:1', httpsUrl: 'https://127.0.0.1:2' },
  );
  t.is(
    text,
    [
      '# autojoin simulator on http://127.0.0.1:1 and https://127.0.0.1:2 (control: http://127.0.0.1:1/_sim/health). Ctrl-C stops it.',
      '# state (CA certificate and private key, mode 0700): /x/.sim',
      '# Paste a block into another shell:',
      '',
      '# every provider',
      'export NODE_EXTRA_CA_CERTS=/x/.sim/ca.pem',
      '',
      '# aws',
      'export AWS_ACCESS_KEY_ID=AKIDSIMULATOR0000000',
      "discover addrs 'provider=aws region=eu-west-1'",
      '',
      '# gce',
      'export NODE_EXTRA_CA_CERTS=/elsewhere/ca.pem',
      "discover addrs 'provider=gce project_name=p'",
      '',
    ].join('\n'),
  );
});

const summaryCases: Array<{ name: string; fleet: Fleet; expected: string }> = [
  { name: 'empty', fleet: { credentials: {}, instances: [] }, expected: 'no instances; 0 services' },
  {
    name: 'mixed',
    fleet: {
      credentials: {},
      instances: [
        { id: 'a', cloud: 'aws' },
        { id: 'b', cloud: 'gce' },
        { id: 'c', cloud: 'aws' },
      ],
      services: [{ node: 'n', node_address: '10.0.0.1', service: 's', port: 1 }],
    },
    expected: '2 aws, 1 gce instances; 1 service',
  },
];
for (const c of summaryCases) {
  test(`fleetSummary: ${c.name}`, (t) => t.is(fleetSummary(c.fleet), c.expected));
}

test('runSim prints the paste, serves until the signal aborts, then closes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fleetPath = join(dir, 'fleet.yaml');
  await writeFile(fleetPath, 'instances:\n  - { id: f-9, cloud: fake }\n');
  const controller = new AbortController();
  let printed = '';
  const running = runSim({ fleetPath, stateDir: dir, modules: [fakeModule()], stdout: (s) => (printed += s), signal: controller.signal });
  while (!printed) await new Promise((r) => setTimeout(r, 5));
  const httpUrl = /on (http:\/\/127\.0\.0\.1:\d+) and/.exec(printed)?.[1];
  t.truthy(httpUrl);
  t.regex(
    printed,
    /\n# fake\nexport FAKE_ENDPOINT=https:\/\/127\.0\.0\.1:\d+\ndiscover addrs 'provider=fake endpoint=http:\/\/127\.0\.0\.1:\d+ secret=it'\\''s'\n/,
  );
  t.true(printed.includes(`export NODE_EXTRA_CA_CERTS=${join(dir, CA_CERT_FILE)}`));
  t.true(printed.includes(`\n# fleet ${fleetPath}: 1 fake instances; 0 services\n`));
  t.deepEqual((await json(`${httpUrl}/data/x`)).body.instances, ['f-9']);
  controller.abort();
  await running;
  t.truthy((await raw(`${httpUrl}/data/x`)).failure);
});

test('runSim with --port N serves http on N and https on N+1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fleetPath = join(dir, 'fleet.json');
  await writeFile(fleetPath, '{"instances": []}');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const controller = new AbortController();
  let printed = '';
  const running = runSim({ fleetPath, port, stateDir: dir, modules: [fakeModule()], stdout: (s) => (printed += s), signal: controller.signal });
  t.teardown(() => controller.abort());
  while (!printed) await new Promise((r) => setTimeout(r, 5));
  t.true(printed.includes(`on http://127.0.0.1:${port} and https://127.0.0.1:${port + 1}`));
  controller.abort();
  await running;
});

test('a busy port is a clear ERR_SIM_LISTEN error', async (t) => {
  const { sim } = await startFake(t);
  const busy = Number(new URL(sim.httpUrl).port);
  const error = await t.throwsAsync(startTestSim(t, baseFleet(), [fakeModule()], { httpsPort: busy }), {
    instanceOf: AutojoinError,
    code: 'ERR_SIM_LISTEN',
    message: `sim: cannot listen on 127.0.0.1:${busy}: EADDRINUSE`,
  });
  t.truthy(error?.cause);
});

test('runSim rejects an invalid fleet before listening', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fleetPath = join(dir, 'fleet.yaml');
  await writeFile(fleetPath, 'instances:\n  - { id: a, cloud: aws, private_ipv4: 300.1.1.1 }\n');
  await t.throwsAsync(runSim({ fleetPath, stateDir: dir, modules, stdout: () => {}, signal: new AbortController().signal }), {
    instanceOf: FleetError,
    message: `fleet: ${fleetPath}: instances[0].private_ipv4: "300.1.1.1" is not an IPv4 address`,
  });
});

/** Undo {@link shellQuote}: `'it'\\''s'` -> `it's`. */
function shellUnquote(text: string): string {
  return text.startsWith("'") ? text.slice(1, -1).replaceAll(`'\\''`, "'") : text;
}

test('every block discover sim prints for the demo fleet works as pasted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'autojoin-run-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  let printed = '';
  const running = runSim({ stateDir: dir, stdout: (s) => (printed += s), signal: controller.signal });
  while (!printed) await new Promise((r) => setTimeout(r, 5));

  const demo = await loadFleet(defaultFleetPath());
  const known = new Set([
    ...demo.instances.flatMap((i) => [i.private_ipv4, i.public_ipv4, i.private_ipv6, i.public_ipv6]),
    ...(demo.services ?? []).flatMap((s) => [`${s.node_address}:${s.port}`, `${s.service_address}:${s.port}`]),
  ]);
  const [common, ...blocks] = printed.split('\n\n').slice(1);
  const exportsOf = (block: string) => Object.fromEntries([...block.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, shellUnquote(m[2]!)]));
  t.deepEqual(exportsOf(common ?? ''), { NODE_EXTRA_CA_CERTS: join(dir, CA_CERT_FILE) });
  const providers = blocks.map((b) => /^# (\S+)/.exec(b)?.[1]);
  for (const cloud of ['aws', 'azure', 'gce']) t.true(providers.includes(cloud), `a block for ${cloud}`);

  // Two processes at a time (each compiles and loads an SDK: 16 at once starve a 2-core machine),
  // each with a bound far above its loading time: the test is about the paste, not the clock.
  const queue = [...blocks];
  const worker = async () => {
    for (let block = queue.shift(); block !== undefined; block = queue.shift()) await runBlock(block);
  };
  const runBlock = async (block: string) => {
    const provider = /^# (\S+)/.exec(block)?.[1];
    const config = shellUnquote(/^discover addrs (.*)$/m.exec(block)?.[1] ?? '');
    t.true(config.startsWith(`provider=${provider} `), block);
    const env = { ...process.env, ...exportsOf(common ?? ''), ...exportsOf(block) };
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import=tsx', join(repoRoot, 'entry', 'discover.ts'), '--timeout', '5m', 'addrs', '-q', config],
      {
        env,
        cwd: repoRoot,
      },
    );
    const addrs = stdout.trim().split(' ').filter(Boolean);
    t.true(addrs.length > 0, `${provider} found addresses`);
    // An instance address may come with a port its provider read elsewhere (a pod's annotation).
    const host = (addr: string) => addr.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([^:]+):\d+$/, '$1');
    for (const addr of addrs) t.true(known.has(addr) || known.has(host(addr)), `${provider}: ${addr} is in the demo fleet`);
  };
  await Promise.all([worker(), worker()]);
  controller.abort();
  await running;
});

test('every paste block is a config string that parses back, with a tag value holding a space', async (t) => {
  // A tag value with a space must be quoted (go-discover's grammar); three simulators once wrote it bare.
  const fleet = await loadFleet(defaultFleetPath());
  for (const instance of fleet.instances) if (instance.tags?.role) instance.tags.role = 'joins cluster';
  const sim = await startTestSim(t, fleet);
  let tagged = 0;
  for (const module of sim.modules) {
    const paste = module.paste?.(sim.ctx);
    if (!paste) continue;
    let parsed: Map<string, string>;
    try {
      parsed = parseConfig(paste.config);
    } catch (error) {
      t.fail(`${module.provider}'s paste does not parse: ${(error as Error).message}`);
      continue;
    }
    const values = [...parsed.values()];
    t.is(parsed.get('provider'), module.provider);
    if (values.includes('joins cluster')) tagged++;
    t.false(values.includes('joins'), `${module.provider}: the tag value cut at its space`);
  }
  // aws, azure, aliyun, tencentcloud and triton select on the role tag in the demo fleet.
  t.true(tagged >= 5, `${tagged} paste blocks carry the tag value whole`);
});

test("the default fleet is the package's demo fleet", (t) => {
  t.is(defaultFleetPath(), join(repoRoot, 'fixtures', 'fleets', 'demo.yaml'));
});

// --- close ---

test.serial('close() drops keep-alive and in-flight connections and leaves no open handles', async (t) => {
  const network = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
  const before = network();
  const { sim } = await startFake(t);
  // One idle keep-alive connection and one request stuck in a long latency fault.
  await fetch(`${sim.httpUrl}/data/x`).then((r) => r.text());
  sim.setFaults('fake-other', { latency_ms: 60_000 });
  const stuck = raw(`${sim.httpUrl}/dx`);
  // Two listeners, the keep-alive pair, the stuck pair; and the stuck request has arrived.
  await waitUntil(() => network() >= before + 4 && (sim.counts()['fake-other'] ?? 0) >= 1, 'the stuck request');
  // Not after the 60 s latency: a wait that long fails as a timeout (bound: half of it).
  await within(
    (async () => {
      await sim.close();
      await sim.close(); // idempotent
    })(),
    'close()',
  );
  const answer = await stuck;
  t.truthy('failure' in answer ? answer.failure : undefined);
  // The client sockets see their close.
  await waitUntil(() => network() === before, 'every socket closed');
  t.is(network(), before);
});

// --- a sanity check of the request type the modules receive ---

test('modules receive an absolute URL built from the Host header', async (t) => {
  let seen: SimRequest | undefined;
  const mod: SimModule = {
    provider: 'probe',
    apis: [
      {
        name: 'probe',
        match: () => true,
        handle: (req) => {
          seen = req;
          return { status: 204 };
        },
        errorResponse: () => ({ status: 500 }),
      },
    ],
  };
  const sim = await startTestSim(t, baseFleet(), [mod]);
  const port = new URL(sim.httpUrl).port;
  await new Promise<void>((resolveGet) =>
    httpGet({ host: '127.0.0.1', port, path: '/a/b?c=d', headers: { host: `ec2.eu-west-1.localhost:${port}` } }, (res) => res.resume().on('end', resolveGet)),
  );
  t.is(seen?.url.href, `http://ec2.eu-west-1.localhost:${port}/a/b?c=d`);
  t.is(seen?.url.searchParams.get('c'), 'd');
});

test("pasteExample: the cloud's first instance that exists now, else its first at all; its role tag, else its first", (t) => {
  const ctx = (instances: Fleet['instances']) => ({ fleet: { credentials: {}, instances }, elapsedMs: () => 0 });
  const example = pasteExample(
    ctx([
      { id: 'late', cloud: 'c', appear_after_ms: 60_000, tags: { role: 'late' } },
      { id: 'now', cloud: 'c', tags: { env: 'prod', role: 'server' } },
      { id: 'o', cloud: 'other', tags: { role: 'x' } },
    ]),
    'c',
  );
  t.is(example?.instance.id, 'now');
  t.deepEqual(example?.tag, ['role', 'server']);
  // Nothing exists yet: the first that will (a paste printed before it appears still works then).
  t.is(pasteExample(ctx([{ id: 'late', cloud: 'c', appear_after_ms: 60_000, tags: { env: 'prod', zone: 'a' } }]), 'c')?.instance.id, 'late');
  t.deepEqual(pasteExample(ctx([{ id: 'x', cloud: 'c', tags: { env: 'prod', zone: 'a' } }]), 'c')?.tag, ['env', 'prod']);
  t.is(pasteExample(ctx([{ id: 'x', cloud: 'c' }]), 'c')?.tag, undefined);
  t.is(pasteExample(ctx([{ id: 'o', cloud: 'other' }]), 'c'), undefined);
});
